// WebKitGTK reports `navigator.language` as "C" when the process runs under the POSIX locale
// (the default of a stock Debian system). Intl rejects that tag, and uPlot formats numbers with
// it while its module loads, which would leave the window blank. This module is imported first
// and replaces an invalid tag with a valid one.

/** The tag to use for `navigator.language`: `tag` itself when Intl accepts it, else "en-US". */
export function usableLanguage(tag: string | undefined): string {
  if (!tag) return "en-US";
  try {
    new Intl.NumberFormat(tag);
    return tag;
  } catch {
    return "en-US";
  }
}

/** Shadows an invalid `navigator.language` (and `languages`) with a valid tag. */
export function repairNavigatorLanguage(nav: Navigator = navigator): void {
  const tag = usableLanguage(nav.language);
  if (tag !== nav.language) {
    Object.defineProperty(nav, "language", { value: tag, configurable: true });
    Object.defineProperty(nav, "languages", { value: [tag], configurable: true });
  }
}

if (typeof navigator !== "undefined") repairNavigatorLanguage();
