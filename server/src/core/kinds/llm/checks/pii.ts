// Secrets and personal data in any turn. Each pattern is narrowed by the check its format has
// (Luhn for cards, mod-97 for IBANs, a parse for IPv6) so that a long number is not a card.

import { isIPv6 } from 'node:net';
import { finding, type LlmCheckCode, type LlmFinding } from '../findings';
import { type Sample, allTurns } from '../sample';

export type PiiKind = 'email' | 'phone' | 'credit-card' | 'iban' | 'ip' | 'api-key' | 'private-key';

/** The placeholder a redaction writes, per kind. */
export const PII_PLACEHOLDERS: Record<PiiKind, string> = {
  email: '<EMAIL>', phone: '<PHONE>', 'credit-card': '<CREDIT_CARD>', iban: '<IBAN>', ip: '<IP_ADDRESS>', 'api-key': '<API_KEY>', 'private-key': '<PRIVATE_KEY>',
};

const CODES: Record<PiiKind, LlmCheckCode> = {
  email: 'llm/pii-email', phone: 'llm/pii-phone', 'credit-card': 'llm/pii-credit-card', iban: 'llm/pii-iban', ip: 'llm/pii-ip', 'api-key': 'llm/secret-api-key', 'private-key': 'llm/secret-private-key',
};

export interface PiiMatch {
  kind: PiiKind;
  start: number;
  end: number;
  /** For keys: the provider. */
  provider?: string;
}

/** The Luhn checksum (ISO/IEC 7812-1) of a string of digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/** ISO 13616 IBAN check: move the first four characters to the end, letters to 10..35, the number mod 97 is 1. */
export function ibanValid(iban: string): boolean {
  const s = iban.replace(/\s+/g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(s)) return false;
  const moved = s.slice(4) + s.slice(0, 4);
  let rem = 0;
  for (const ch of moved) {
    const v = ch >= 'A' ? String(ch.charCodeAt(0) - 55) : ch;
    for (const d of v) rem = (rem * 10 + (d.charCodeAt(0) - 48)) % 97;
  }
  return rem === 1;
}

// Issuer prefixes of the card networks (Visa 4, Mastercard 51-55 and 2221-2720, Amex 34/37, Discover
// 6011/65/644-649, JCB 35, Diners 36/38/300-305): Luhn alone passes one random number in ten.
const CARD_PREFIX = /^(?:4|5[1-5]|2[2-7]|3[4-8]|30[0-5]|6011|65|64[4-9]|62)/;
const CARD = /(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])/g;
const EMAIL = /(?<![\w.+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,63})@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,24}(?![\w-])/g;
// RFC 2606 names are placeholders by definition, not anyone's address.
const EXAMPLE_DOMAIN = /@(?:[\w-]+\.)*(?:example\.(?:com|org|net)|example|test|invalid|localhost)$/i;
// NANP with separators ((555) 123-4567, 555-123-4567, +1 555 123 4567) or international +CC with
// groups: a bare run of digits is an amount or an id far more often than a phone number.
const PHONE = /(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{3}\)[ .-]?|\d{3}[.-])\d{3}[.-]\d{4}(?!\d)|(?<![\w+])\+\d{1,3}(?:[ .-]\d{1,4}){2,5}(?![\d-])/g;
const IBAN = /(?<![A-Z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Z0-9])/g;
// Addresses that identify no one: unspecified, loopback, the RFC 5737 documentation ranges and the
// public DNS resolvers (8.8.8.8 is 4 of the 4 IP findings on the GPTeacher fixture).
const NOT_PERSONAL_IP = /^(?:0\.0\.0\.0|127\.\d+\.\d+\.\d+|192\.0\.2\.\d+|198\.51\.100\.\d+|203\.0\.113\.\d+|8\.8\.8\.8|8\.8\.4\.4|1\.1\.1\.1|1\.0\.0\.1|9\.9\.9\.9)$/;
const IPV4 = /(?<![\d.]|v|version )(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\d.]|\.\d)/gi;
// Candidates: runs of hex groups with 2 to 7 colons; node:net's isIPv6 decides (10:30:00 is a time, not an address).
const IPV6 = /(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])/g;
const KEYS: Array<[string, RegExp]> = [
  ['AWS', /(?<![A-Z0-9])(?:AKIA|ASIA)[0-9A-Z]{16}(?![A-Z0-9])/g],
  ['GitHub', /(?<![\w])(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})(?![\w])/g],
  ['Anthropic', /(?<![\w-])sk-ant-[A-Za-z0-9_-]{20,}/g],
  ['OpenAI', /(?<![\w-])sk-(?!ant-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/g],
  ['Slack', /(?<![\w-])xox[abposr]-[A-Za-z0-9-]{10,}/g],
  ['Google', /(?<![\w-])AIza[0-9A-Za-z_-]{35}(?![\w-])/g],
  ['Stripe', /(?<![\w])(?:sk|rk)_live_[A-Za-z0-9]{20,}/g],
];
const PRIVATE_KEY = /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|$)/g;

/** Every secret and piece of personal data in a text, in text order, overlaps resolved to the first and longest. */
export function findPii(text: string): PiiMatch[] {
  const found: PiiMatch[] = [];
  const add = (kind: PiiKind, start: number, end: number, provider?: string): void => {
    found.push(provider ? { kind, start, end, provider } : { kind, start, end });
  };
  // Cheap gates: most turns have no '@', no long digit run, no ':' pair: skip their regexes.
  if (text.includes('-----BEGIN')) for (const m of text.matchAll(PRIVATE_KEY)) add('private-key', m.index, m.index + m[0].length);
  for (const [provider, re] of KEYS) for (const m of text.matchAll(re)) add('api-key', m.index, m.index + m[0].length, provider);
  if (text.includes('@')) for (const m of text.matchAll(EMAIL)) if (!EXAMPLE_DOMAIN.test(m[0])) add('email', m.index, m.index + m[0].length);
  if (/\d{3}/.test(text)) {
    for (const m of text.matchAll(CARD)) {
      const digits = m[0].replace(/[ -]/g, '');
      if (digits.length >= 13 && digits.length <= 19 && CARD_PREFIX.test(digits) && luhnValid(digits) && !/^(\d)\1+$/.test(digits)) add('credit-card', m.index, m.index + m[0].length);
    }
    for (const m of text.matchAll(IBAN)) if (ibanValid(m[0])) add('iban', m.index, m.index + m[0].length);
    for (const m of text.matchAll(PHONE)) add('phone', m.index, m.index + m[0].length);
  }
  if (text.includes('.')) for (const m of text.matchAll(IPV4)) if (!NOT_PERSONAL_IP.test(m[0])) add('ip', m.index, m.index + m[0].length);
  if (text.includes(':')) for (const m of text.matchAll(IPV6)) if (isIPv6(m[0]) && (m[0].match(/:/g)?.length ?? 0) >= 2 && /[0-9a-f]{2}/i.test(m[0])) add('ip', m.index, m.index + m[0].length);
  found.sort((a, b) => a.start - b.start || b.end - a.end);
  const out: PiiMatch[] = [];
  for (const f of found) if (!out.length || f.start >= out[out.length - 1].end) out.push(f);
  return out;
}

const WHAT: Record<PiiKind, string> = {
  email: 'an e-mail address', phone: 'a phone number', 'credit-card': 'a credit card number (it passes the Luhn check)', iban: 'an IBAN (it passes the mod-97 check)',
  ip: 'an IP address', 'api-key': 'an API key', 'private-key': 'a private key',
};

export function piiFindings(sample: Sample): LlmFinding[] {
  const out: LlmFinding[] = [];
  for (const t of allTurns(sample)) {
    if (!t.content) continue;
    for (const m of findPii(t.content)) {
      const what = m.provider ? `a ${m.provider} API key or token` : WHAT[m.kind];
      out.push(finding(CODES[m.kind], `This ${t.role || 'turn'} turn contains ${what}: a model trained on it can repeat it. Redact it as ${PII_PLACEHOLDERS[m.kind]}.`, t.path, {
        range: { start: m.start, end: m.end }, data: { pii: m.kind, placeholder: PII_PLACEHOLDERS[m.kind] },
      }));
    }
  }
  return out;
}
