// server/src/core/kinds/llm/checks/pii.ts: secrets and personal data, with the checksums that keep a long number from being a card.
import * as assert from 'node:assert/strict';
import { findPii, ibanValid, luhnValid } from '../../server/src/core/kinds/llm/checks/pii';

const kinds = (text: string): string[] => findPii(text).map((m) => `${m.kind}:${text.slice(m.start, m.end)}`);

describe('llm/pii: checksums', () => {
  it('Luhn: the ISO/IEC 7812 worked example 79927398713 passes, 79927398710 fails', () => {
    assert.equal(luhnValid('79927398713'), true);
    assert.equal(luhnValid('79927398710'), false);
  });
  it('IBAN mod-97: the ISO 13616 example GB82 WEST 1234 5698 7654 32 passes; one digit off fails', () => {
    assert.equal(ibanValid('GB82 WEST 1234 5698 7654 32'), true);
    assert.equal(ibanValid('DE89370400440532013000'), true);
    assert.equal(ibanValid('GB82 WEST 1234 5698 7654 33'), false);
  });
});

describe('llm/pii: findPii', () => {
  it('e-mail addresses, but not the RFC 2606 example domains', () => {
    assert.deepEqual(kinds('write to jane.doe+x@corp.co.uk today'), ['email:jane.doe+x@corp.co.uk']);
    assert.deepEqual(kinds('write to user@example.com'), []);
  });
  it('phone numbers with separators; a bare amount or an equation is not one', () => {
    assert.deepEqual(kinds('call (555) 123-4567 or +44 20 7946 0958'), ['phone:(555) 123-4567', 'phone:+44 20 7946 0958']);
    assert.deepEqual(kinds('she paid 5551234567 dollars; 12+34 = 46; 2023-01-15'), []);
  });
  it('credit cards: a Visa test number that passes Luhn, not a 16-digit number that fails it', () => {
    assert.deepEqual(kinds('card 4111 1111 1111 1111 exp'), ['credit-card:4111 1111 1111 1111']);
    assert.deepEqual(kinds('card 4111 1111 1111 1112 exp'), [], 'fails Luhn');
    assert.deepEqual(kinds('order 9111111111111111'), [], 'passes Luhn only by chance; no network starts with 9');
  });
  it('IBANs that pass mod-97, not ones that fail', () => {
    assert.deepEqual(kinds('pay to DE89 3704 0044 0532 0130 00 please'), ['iban:DE89 3704 0044 0532 0130 00']);
    assert.deepEqual(kinds('pay to DE88 3704 0044 0532 0130 00 please'), []);
  });
  it('IPv4 and IPv6; not a version number, not a time of day', () => {
    assert.deepEqual(kinds('host 203.0.114.7 and fe80::1ff:fe23:4567:890a'), ['ip:203.0.114.7', 'ip:fe80::1ff:fe23:4567:890a']);
    assert.deepEqual(kinds('version 1.2.3.4, v10.0.0.1, at 10:30:00, 999.1.1.1'), []);
    assert.deepEqual(kinds('DNS 8.8.8.8, docs 192.0.2.10, localhost 127.0.0.1'), [], 'addresses that identify no one');
  });
  it('API keys of the common providers and private key blocks', () => {
    const text = [
      'AKIAIOSFODNN7EXAMPLE', `ghp_${'a'.repeat(36)}`, `sk-proj-${'b'.repeat(40)}`, 'xoxb-1234567890-abcdefghij', `AIza${'c'.repeat(35)}`,
      '-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----',
    ].join(' ; ');
    assert.deepEqual(findPii(text).map((m) => m.provider ?? m.kind), ['AWS', 'GitHub', 'OpenAI', 'Slack', 'Google', 'private-key']);
    assert.deepEqual(kinds('the sk-learn task-runner; AKIA is a prefix; ghp_short'), []);
  });
});
