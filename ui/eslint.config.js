// ESLint flat config: typescript-eslint's recommended rules and the React hooks rules
// (eslint-plugin-react-hooks' recommended set). `npm run lint` allows no warnings.
import js from "@eslint/js";
import globals from "globals";
import reactHooks from "eslint-plugin-react-hooks";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist", "node_modules"] },
  {
    files: ["**/*.{ts,tsx}"],
    extends: [js.configs.recommended, ...tseslint.configs.recommended, reactHooks.configs.flat.recommended],
    languageOptions: { ecmaVersion: 2021, globals: globals.browser },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      // This rule only says that the React Compiler would skip a component calling an API it
      // cannot memoize (here TanStack Virtual's useVirtualizer, in usePagedRows). Reckon does
      // not use the React Compiler, so there is nothing to fix; every other recommended rule
      // of eslint-plugin-react-hooks stays on.
      "react-hooks/incompatible-library": "off",
    },
  },
);
