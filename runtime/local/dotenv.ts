/**
 * A `.env` parser: `KEY=value` lines, optional `export `, `#` comments, single quotes (literal),
 * double quotes (with \n, \r, \t, \", \\ escapes, may span lines), and unquoted values that end at
 * ` #`. Later keys win.
 */
export function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const src = text.replace(/\r\n?/g, "\n");
  let i = 0;
  while (i < src.length) {
    const lineEnd = src.indexOf("\n", i) === -1 ? src.length : src.indexOf("\n", i);
    const line = src.slice(i, lineEnd);
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*/.exec(line);
    if (!m) {
      i = lineEnd + 1;
      continue;
    }
    const key = m[1];
    let j = i + m[0].length;
    const quote = src[j];
    if (quote === '"' || quote === "'") {
      let value = "";
      j++;
      while (j < src.length && src[j] !== quote) {
        if (quote === '"' && src[j] === "\\" && j + 1 < src.length) {
          const next = src[j + 1];
          value += next === "n" ? "\n" : next === "r" ? "\r" : next === "t" ? "\t" : next;
          j += 2;
          continue;
        }
        value += src[j++];
      }
      out[key] = value;
      const end = src.indexOf("\n", j);
      i = end === -1 ? src.length : end + 1;
      continue;
    }
    let value = src.slice(j, lineEnd);
    const comment = value.search(/\s#/);
    if (comment >= 0) value = value.slice(0, comment);
    out[key] = value.trim();
    i = lineEnd + 1;
  }
  return out;
}
