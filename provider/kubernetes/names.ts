/**
 * Kubernetes names and label values. Object names here are DNS-1123 labels (lowercase
 * alphanumerics and '-', at most 63 characters), which every kind accepts (Services need it);
 * unit slugs are at most 40 characters (provider/aws/names.ts), so a suffix still fits, and a
 * CronJob name stays within 52 (its Jobs append 11 characters).
 */
import { kebab, shortHash, slug } from "../aws/names.ts";

export { kebab, shortHash, slug, uniqueSlugs } from "../aws/names.ts";

export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const MAX_NAME = 63;

/** A DNS-1123 label from any text, hashed when it would pass 63 characters. */
export function dnsLabel(text: string, max = MAX_NAME): string {
  const base = kebab(text) || "x";
  if (base.length <= max) return base;
  return `${base.slice(0, max - 9).replace(/-+$/, "")}-${shortHash(text)}`;
}

/**
 * A label value: at most 63 characters of alphanumerics, '-', '_' or '.', starting and ending
 * with an alphanumeric (Kubernetes' rule); longer or other text is kebab-cased and hashed.
 */
export function labelValue(text: string): string {
  if (text.length <= MAX_NAME && /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/.test(text)) return text;
  return dnsLabel(text);
}

/** The default namespace of a stack: `gantry-<app>-<stack>`. */
export function defaultNamespace(app: string, stack: string): string {
  return dnsLabel(`gantry-${kebab(app)}-${kebab(stack)}`);
}

/** The Redis key namespace of a stack (runtime/redis/keys.ts): app and stack, so stacks can share a server. */
export function keyNamespace(app: string, stack: string): string {
  return `${slug(app)}.${slug(stack)}`;
}
