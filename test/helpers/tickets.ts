// A small multi-label dataset for tests: support tickets, each with the set of labels that apply
// (billing, bug, account, feature), some with two, a few with none.
export const TICKET_LABELS = ['account', 'billing', 'bug', 'feature'] as const;

export const TICKETS: ReadonlyArray<{ id: string; text: string; gold: string[] }> = [
  { id: 't01', text: 'I was charged twice for my subscription this month, please refund the extra payment.', gold: ['billing'] },
  { id: 't02', text: 'The app crashes every time I open the settings page on Android.', gold: ['bug'] },
  { id: 't03', text: 'I cannot log in to my account, the password reset email never arrives.', gold: ['account'] },
  { id: 't04', text: 'Could you add a dark mode? It would be great for working at night.', gold: ['feature'] },
  { id: 't05', text: 'The invoice page crashes with an error when I try to download my receipt.', gold: ['billing', 'bug'] },
  { id: 't06', text: 'Please add an option to export invoices as CSV for our accounting.', gold: ['billing', 'feature'] },
  { id: 't07', text: 'After changing my email address I cannot log in and the app shows an error.', gold: ['account', 'bug'] },
  { id: 't08', text: 'Thanks for the quick help yesterday, everything works now.', gold: [] },
  { id: 't09', text: 'My credit card was charged but the payment shows as failed, refund please.', gold: ['billing'] },
  { id: 't10', text: 'The export button does nothing and the page freezes, looks like a bug.', gold: ['bug'] },
  { id: 't11', text: 'How do I delete my account and all my personal data?', gold: ['account'] },
  { id: 't12', text: 'It would be nice to have a calendar integration feature for reminders.', gold: ['feature'] },
  { id: 't13', text: 'I was charged after I cancelled my subscription, and now the billing page crashes.', gold: ['billing', 'bug'] },
  { id: 't14', text: 'Please add two-factor login for my account, a security feature we need.', gold: ['account', 'feature'] },
  { id: 't15', text: 'Just wanted to say the new design looks lovely.', gold: [] },
  { id: 't16', text: 'The refund for my double payment has not arrived after two weeks.', gold: ['billing'] },
  { id: 't17', text: 'Crash on startup since the last update, the error says null pointer.', gold: ['bug'] },
  { id: 't18', text: 'I forgot my password and my account is locked after three attempts.', gold: ['account'] },
  { id: 't19', text: 'Feature request: let us share dashboards with people outside the team.', gold: ['feature'] },
  { id: 't20', text: 'The payment form throws an error and charges my card anyway.', gold: ['billing', 'bug'] },
  { id: 't21', text: 'Can you add yearly billing with a discount? That feature would help us.', gold: ['billing', 'feature'] },
  { id: 't22', text: 'Login fails with an error for every account on our team since this morning.', gold: ['account', 'bug'] },
  { id: 't23', text: 'Where can I change the email address of my account?', gold: ['account'] },
  { id: 't24', text: 'The search results page crashes when the query has an emoji.', gold: ['bug'] },
  { id: 't25', text: 'I need a copy of last year\'s invoices and receipts for the tax office.', gold: ['billing'] },
  { id: 't26', text: 'Please add keyboard shortcuts, that feature would save me a lot of time.', gold: ['feature'] },
  { id: 't27', text: 'My subscription renewed and I was charged although I cancelled, the page shows an error.', gold: ['billing', 'bug'] },
  { id: 't28', text: 'Merge my two accounts into one login please, I signed up twice.', gold: ['account'] },
  { id: 't29', text: 'Have a nice weekend, team!', gold: [] },
  { id: 't30', text: 'Add a feature to schedule reports by email every Monday.', gold: ['feature'] },
];

/** The tickets as a dataset file (id and text only). */
export function ticketsJsonl(): string {
  return `${TICKETS.map(({ id, text }) => JSON.stringify({ id, text })).join('\n')}\n`;
}

/** A loopmark.json with one multi-label task over data/tickets*.jsonl. */
export function ticketsConfig(extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    tasks: [{
      name: 'tickets', files: ['data/tickets*.jsonl'], multiLabel: true, threshold: 0.8,
      labels: [
        { name: 'account', description: 'Log in, password, email address, deleting or merging accounts.' },
        { name: 'billing', description: 'Charges, refunds, invoices, subscriptions.' },
        { name: 'bug', description: 'Something is broken: a crash, an error, a freeze.' },
        { name: 'feature', description: 'A request for something the product does not do yet.' },
      ],
      model: { minExamplesPerLabel: 2 },
      ...extra,
    }],
  });
}
