// A language written right to left gets pages and emails laid out right to left. No Arabic
// catalogue ships yet (its words need a medical translator), so this file stands one in: the
// Spanish catalogue's words under the locale 'ar', through the real renderers.
import { describe, expect, it, vi } from 'vitest';
import { renderEmail } from '../activities/email-templates.ts';
import { emptyCheckinForm } from '../client/http/checkin-form.ts';
import { formPage, resultPage } from '../client/http/pages.ts';
import type { Catalogue } from './index.ts';

vi.mock('./es.json', async (importOriginal) => {
  const spanish = await importOriginal<{ default: Catalogue }>();
  return { default: { ...spanish.default, locale: 'ar' } };
});

describe('a right-to-left catalogue', () => {
  it('lays out the check-in pages right to left', () => {
    const form = formPage({ lang: 'es', phone: '+34 91 555 01 23', day: 3, timeZone: 'Asia/Dubai', values: emptyCheckinForm(0, 'Asia/Dubai'), problems: { admitted: 'admittedMissing' } });
    expect(form).toContain('<html lang="ar" dir="rtl">');
    // The stylesheet names no side: in a right-to-left page the boxes sit where its lines start.
    const css = /<style>([\s\S]*)<\/style>/.exec(form)?.[1] ?? '';
    expect(css).not.toMatch(/(margin|padding|border)-(left|right)|[{;](left|right):/);
    expect(resultPage({ lang: 'es', tier: 'urgent', phone: '+34 91 555 01 23' })).toContain('<html lang="ar" dir="rtl">');
    expect(formPage({ lang: 'en', timeZone: 'UTC', values: emptyCheckinForm(0, 'UTC') })).toContain('<html lang="en" dir="ltr">');
  });

  it('lays out the emails right to left, with commands and phone numbers left to right', () => {
    const ctx = { caseId: 'c1', patientRef: 'P-1', familyName: 'F', diagnosis: 'D', therapy: 'T', recipientName: 'F', timeZone: 'Asia/Dubai', appBaseUrl: 'http://localhost:8080', hospitalNames: {} };
    const email = renderEmail('checkin_missed_coordinator', 'es', ctx, { checkinId: 1, day: 2, dueAt: '2027-01-01T00:00:00Z', teamPhone: '+34 91 555 01 23', alertId: 'a1' });
    expect(email.html).toContain('<html lang="ar" dir="rtl">');
    expect(email.html).toMatch(/<a href="tel:\+34915550123" style="[^"]*direction:ltr;/);
    expect(email.html).toMatch(/<pre style="[^"]*direction:ltr;/);
    // Lists indented, and labels aligned, where a right-to-left line starts.
    expect(email.html).not.toMatch(/padding-left|text-align:left;vertical/);
    expect(email.html).toMatch(/<th scope="row" style="text-align:right;/);
  });
});
