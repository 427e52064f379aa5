//! One filter select over a facet's values (the entry type, or any label dimension of a chain).

export interface FacetSelectProps {
  /** The visible label, e.g. "Type" or a dimension's title. */
  label: string;
  /** `data-testid`, e.g. "filter-type" or "filter-" + dimension key. */
  testid: string;
  /** The option that means "no filter", e.g. "All types" or "Any". */
  anyLabel: string;
  values: readonly string[];
  /** "" = no filter. */
  value: string;
  onChange: (value: string) => void;
}

export function FacetSelect({ label, testid, anyLabel, values, value, onChange }: FacetSelectProps) {
  // A chosen value the facets no longer offer (e.g. while they reload) stays selectable.
  const options = value && !values.includes(value) ? [value, ...values] : values;
  return (
    <label>
      {label}
      <select data-testid={testid} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">{anyLabel}</option>
        {options.map((v) => (
          <option key={v} value={v}>
            {v}
          </option>
        ))}
      </select>
    </label>
  );
}
