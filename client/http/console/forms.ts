// The console's action forms: which coordinator or clinician steps a case offers in its state, the
// fields of each (named as the action's arguments, so the action layer's field errors land beside
// the right input), and how a posted form becomes the action's arguments. Validation itself stays in
// the action layer (client/actions.ts and domain/): a form never decides what is valid.
import { randomUUID } from 'node:crypto';
import type { CaseStatus } from '../../../domain/case.ts';
import { CEREBRAL_EDEMA, CONSCIOUSNESS, HYPOTENSION, OXYGEN_DEVICES, SEIZURES, VASOPRESSORS } from '../../../domain/crs.ts';
import { fromLocal, toLocal } from '../../../domain/time.ts';
import { InputError, type FieldProblem as FieldError } from '../../../domain/validation.ts';
import { mayTake, type Role, type StaffAction } from '../../../domain/actions.ts';
import { awaitsApproval } from '../../../domain/case-rules.ts';
import { html, type Html } from './html.ts';

export type FormValues = Record<string, string | string[]>;
export interface Hospital {
  code: string;
  name: string;
  timezone: string;
}

/** What a form needs besides the case: the hospitals, and the values and errors of a failed post. */
export interface FormContext {
  status: CaseStatus;
  hospitals: Hospital[];
  now: number;
  values: FormValues;
  errors: FieldError[];
}

/** The console's forms: the API's actions but acknowledgeAlert (a button on each alert). */
export type FormAction = Exclude<StaffAction, 'acknowledgeAlert'>;

interface FormSpec {
  title: string;
  button: string;
  danger?: boolean;
  offered(s: CaseStatus): boolean;
  fields(c: FormContext): Html;
}

// ---- field helpers --------------------------------------------------------------------------

const one = (v: string | string[] | undefined): string => (Array.isArray(v) ? (v[0] ?? '') : (v ?? ''));
const many = (v: string | string[] | undefined): string[] => (Array.isArray(v) ? v : v ? [v] : []);
const errorsFor = (c: FormContext, name: string) => c.errors.filter((e) => e.field === name || e.field.startsWith(`${name}.`) || e.field.startsWith(`${name}[`));

/** The errors shown beside an input: renderForm names the others (a hidden field's, say) in the form's alert. */
const shown = new WeakSet<FieldError>();

function describe(c: FormContext, name: string, id: string): { attrs: Html; messages: Html } {
  const errs = errorsFor(c, name);
  if (!errs.length) return { attrs: html``, messages: html`` };
  for (const e of errs) shown.add(e);
  return { attrs: html` aria-invalid="true" aria-describedby="${id}-err"`, messages: html`<p class="error" id="${id}-err">${errs.map((e) => e.message).join('; ')}</p>` };
}

let ids = 0;
const fieldId = (name: string) => `f-${name.replace(/[^A-Za-z0-9]/g, '-')}-${++ids}`;

function input(c: FormContext, name: string, label: string, opts: { type?: string; hint?: string; value?: string; step?: string } = {}): Html {
  const id = fieldId(name);
  const d = describe(c, name, id);
  const value = c.values[name] !== undefined ? one(c.values[name]) : (opts.value ?? '');
  return html`<div class="field"><label for="${id}">${label}</label>${opts.hint ? html`<p class="hint">${opts.hint}</p>` : ''}${d.messages}<input type="${opts.type ?? 'text'}" id="${id}" name="${name}" value="${value}"${opts.step ? html` step="${opts.step}"` : ''}${d.attrs}></div>`;
}

function textarea(c: FormContext, name: string, label: string): Html {
  const id = fieldId(name);
  const d = describe(c, name, id);
  return html`<div class="field"><label for="${id}">${label}</label>${d.messages}<textarea id="${id}" name="${name}"${d.attrs}>${one(c.values[name])}</textarea></div>`;
}

function select(c: FormContext, name: string, label: string, options: readonly (string | [string, string])[], opts: { blank?: string } = {}): Html {
  const id = fieldId(name);
  const d = describe(c, name, id);
  const chosen = one(c.values[name]);
  const opt = (o: string | [string, string]) => {
    const [value, text] = typeof o === 'string' ? [o, o.replaceAll('_', ' ')] : o;
    return html`<option value="${value}"${value === chosen ? html` selected` : ''}>${text}</option>`;
  };
  return html`<div class="field"><label for="${id}">${label}</label>${d.messages}<select id="${id}" name="${name}"${d.attrs}>${opts.blank !== undefined ? html`<option value="">${opts.blank}</option>` : ''}${options.map(opt)}</select></div>`;
}

function checkboxes(c: FormContext, name: string, legend: string, options: readonly (string | [string, string])[]): Html {
  const id = fieldId(name);
  const d = describe(c, name, id);
  const chosen = many(c.values[name]);
  return html`<fieldset${d.attrs}><legend>${legend}</legend>${d.messages}${options.map((o) => {
    const [value, text] = typeof o === 'string' ? [o, o.replaceAll('_', ' ')] : o;
    return html`<label class="choice"><input type="checkbox" name="${name}" value="${value}"${chosen.includes(value) ? html` checked` : ''}> ${text}</label>`;
  })}</fieldset>`;
}

function checkbox(c: FormContext, name: string, label: string): Html {
  return html`<label class="choice"><input type="checkbox" name="${name}" value="yes"${one(c.values[name]) === 'yes' ? html` checked` : ''}> ${label}</label>`;
}

const hospitalName = (c: FormContext, code: string) => c.hospitals.find((h) => h.code === code)?.name ?? code;
const hospitalZone = (hospitals: Hospital[], code: string | undefined) => hospitals.find((h) => h.code === code)?.timezone ?? 'UTC';

/** A datetime-local value ("2026-12-01T09:30") for an instant, in a zone. */
export function localInput(epochMs: number, timeZone: string): string {
  const l = toLocal(epochMs, timeZone);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${l.year}-${p(l.month)}-${p(l.day)}T${p(l.hour)}:${p(l.minute)}`;
}

/** A datetime-local value read in `timeZone` as an ISO instant; the field is named when it is not a time. */
function fromLocalInput(value: string, timeZone: string, field: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value.trim());
  if (!m) throw new InputError([{ field, message: value.trim() ? 'must be a date and time' : 'is required' }]);
  const [year, month, day, hour, minute] = m.slice(1).map(Number) as [number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59) throw new InputError([{ field, message: 'must be a date and time' }]);
  return new Date(fromLocal({ year, month, day, hour, minute }, timeZone)).toISOString();
}

const docTypes = (s: CaseStatus, pick: (d: CaseStatus['documents'][string]) => boolean): string[] =>
  Object.entries(s.documents)
    .filter(([, d]) => pick(d))
    .map(([t]) => t);
const pendingSubmissions = (s: CaseStatus) => s.submissions.filter((x) => x.status === 'pending' || x.status === 'more_info').map((x) => x.hospitalCode);
const acceptedHospitals = (s: CaseStatus) => s.submissions.filter((x) => x.status === 'accepted').map((x) => x.hospitalCode);
/** A confirmed admission moves the case to monitoring, which waits for the infusion. */
const beforeInfusion = (s: CaseStatus) => (s.stage === 'admission' || s.stage === 'monitoring') && !s.infusionAt;
const admissionHospital = (s: CaseStatus) => s.admission?.hospitalCode ?? s.chosenHospital;

// ---- the forms --------------------------------------------------------------------------------

export const FORMS: Record<FormAction, FormSpec> = {
  receiveDocument: {
    title: 'Record a document received',
    button: 'Record received',
    offered: (s) => docTypes(s, (d) => d.status === 'missing').length > 0,
    fields: (c) => html`${select(c, 'documentType', 'Document', docTypes(c.status, (d) => d.status === 'missing'))}${input(c, 'language', 'Language of the document (optional)', { hint: 'a code such as en, zh or es' })}`,
  },
  waiveDocument: {
    title: 'Go on without a document',
    button: 'Waive document',
    offered: (s) => docTypes(s, (d) => d.status === 'missing').length > 0,
    fields: (c) => html`${select(c, 'documentType', 'Document', docTypes(c.status, (d) => d.status === 'missing'))}${textarea(c, 'reason', 'Why')}`,
  },
  requestDocument: {
    title: 'Ask the family for a document again',
    button: 'Email the family',
    offered: (s) => ['records', 'translation', 'hospital_review', 'navigation'].includes(s.stage),
    fields: (c) => html`${select(c, 'documentType', 'Document', Object.keys(c.status.documents))}${textarea(c, 'reason', 'Why (the family reads this)')}`,
  },
  submitToHospitals: {
    title: 'Submit to hospitals',
    button: 'Submit',
    offered: (s) => s.stage === 'translation' && s.submissions.length === 0,
    fields: (c) => checkboxes(c, 'hospitals', 'Hospitals to submit to', c.hospitals.map((h) => [h.code, `${h.name} (${h.code})`])),
  },
  completeTranslation: {
    title: 'Record a translation finished',
    button: 'Translation done',
    offered: (s) => docTypes(s, (d) => d.translation === 'pending').length > 0,
    fields: (c) => select(c, 'documentType', 'Document', docTypes(c.status, (d) => d.translation === 'pending')),
  },
  rejectTranslation: {
    title: 'Send a translation back',
    button: 'Send back to the translator',
    offered: (s) => ['translation', 'hospital_review'].includes(s.stage) && docTypes(s, (d) => d.translation === 'done').length > 0,
    fields: (c) => html`${select(c, 'documentType', 'Document', docTypes(c.status, (d) => d.translation === 'done'))}${textarea(c, 'reason', 'What is wrong (the translator reads this)')}`,
  },
  recordDecision: {
    title: "Record a hospital's decision",
    button: 'Record decision',
    offered: (s) => pendingSubmissions(s).length > 0,
    fields: (c) =>
      html`${select(c, 'hospitalCode', 'Hospital', pendingSubmissions(c.status).map((h) => [h, hospitalName(c, h)] as [string, string]))}${select(c, 'decision', 'Decision', [
        ['accepted', 'accepted'],
        ['declined', 'declined'],
        ['more_info', 'needs more documents'],
      ])}${textarea(c, 'reason', 'Reason (required when declined)')}${checkboxes(c, 'documents', 'Documents the hospital needs (for "needs more documents")', Object.keys(c.status.documents))}`,
  },
  approveSharing: {
    title: "Record the family's approval of a hospital",
    button: 'Record approval',
    offered: (s) => s.submissions.some(awaitsApproval),
    fields: (c) => select(c, 'hospitalCode', 'Hospital the family approved (by phone or in writing)', c.status.submissions.filter(awaitsApproval).map((x) => [x.hospitalCode, hospitalName(c, x.hospitalCode)] as [string, string])),
  },
  chooseHospital: {
    title: 'Choose the hospital',
    button: 'Choose',
    offered: (s) => acceptedHospitals(s).length > 1 && !s.chosenHospital,
    fields: (c) => select(c, 'hospitalCode', 'Hospital', acceptedHospitals(c.status).map((h) => [h, hospitalName(c, h)] as [string, string])),
  },
  planAdmission: {
    title: 'Plan the admission',
    button: 'Save plan',
    offered: (s) => beforeInfusion(s),
    fields: (c) => {
      const code = admissionHospital(c.status) ?? '';
      const zone = hospitalZone(c.hospitals, code);
      const at = c.status.admission?.admissionAt;
      return html`<input type="hidden" name="hospitalCode" value="${code}"><p>At ${hospitalName(c, code)}.</p>${input(c, 'admissionAt', 'Admission date and time', {
        type: 'datetime-local',
        hint: `hospital time (${zone})`,
        ...(at ? { value: localInput(Date.parse(at), zone) } : {}),
      })}${input(c, 'contact', 'Contact at the hospital (optional)', { value: c.status.admission?.contact ?? '' })}${textarea(c, 'notes', 'Notes for the family (optional)')}`;
    },
  },
  confirmAdmission: {
    title: 'Confirm the admission',
    button: 'Confirm admission',
    offered: (s) => beforeInfusion(s) && !!s.admission && !s.admission.confirmedAt,
    fields: (c) => html`<p>Planned for ${c.status.admission?.admissionAt ? new Date(c.status.admission.admissionAt).toUTCString() : ''}.</p>`,
  },
  recordInfusion: {
    title: 'Record the infusion (day 0)',
    button: 'Record infusion',
    offered: (s) => beforeInfusion(s) && !!s.admission?.confirmedAt,
    fields: (c) => {
      const zone = hospitalZone(c.hospitals, admissionHospital(c.status));
      return input(c, 'at', 'Infusion date and time', { type: 'datetime-local', hint: `hospital time (${zone}); monitoring starts from it`, value: localInput(c.now, zone) });
    },
  },
  recordClinical: {
    title: 'Record a clinical observation',
    button: 'Grade and record',
    offered: (s) => s.stage === 'monitoring' && !!s.infusionAt,
    fields: (c) => html`<p class="hint">Graded with ASTCT CRS and ICANS; urgent grades alert the team.</p>
${input(c, 'temperatureC', 'Temperature (°C)', { type: 'number', step: '0.1' })}
${checkbox(c, 'feverMasked', 'Antipyretics or tocilizumab/steroids given (fever may be masked)')}
${select(c, 'hypotension', 'Hypotension', HYPOTENSION)}
${checkboxes(c, 'vasopressors', 'Vasopressors (when hypotension needs them)', VASOPRESSORS)}
${select(c, 'oxygen.device', 'Oxygen', OXYGEN_DEVICES)}
${input(c, 'oxygen.flowLpm', 'Oxygen flow (L/min, optional)', { type: 'number', step: '0.5' })}
${input(c, 'iceScore', 'ICE score (0–10, optional)', { type: 'number', step: '1' })}
${select(c, 'consciousness', 'Level of consciousness', CONSCIOUSNESS)}
${select(c, 'seizure', 'Seizure', SEIZURES)}
${checkbox(c, 'motorWeakness', 'Motor weakness')}
${select(c, 'cerebralEdema', 'Cerebral oedema', CEREBRAL_EDEMA)}`,
  },
  endMonitoring: {
    title: 'End monitoring now',
    button: 'End monitoring',
    offered: (s) => s.stage === 'monitoring' && !!s.infusionAt,
    fields: () => html`<p class="hint">Hands the case over to follow-up before the window ends.</p>`,
  },
  recordFollowUp: {
    title: 'Record a follow-up contact',
    button: 'Record outcome',
    offered: (s) => s.stage === 'follow_up' && s.followUps.some((f) => f.sentAt && !f.outcome),
    fields: (c) => textarea(c, 'outcome', 'Outcome of the contact'),
  },
  closeCase: {
    title: 'Close the case',
    button: 'Close case',
    offered: (s) => s.stage === 'navigation',
    fields: (c) => textarea(c, 'reason', 'Why'),
  },
  cancelCase: {
    title: 'Cancel the case',
    button: 'Cancel case',
    danger: true,
    offered: (s) => s.stage !== 'closed' && s.stage !== 'cancelled',
    fields: (c) => html`<p class="hint">The family, the hospitals and the coordinator are told; nothing is left half-done.</p>${textarea(c, 'reason', 'Why')}`,
  },
};

export const isFormAction = (name: string): name is FormAction => Object.hasOwn(FORMS, name);

/** The forms a role may use on a case in its state. */
export function offeredForms(role: Role, status: CaseStatus): FormAction[] {
  return (Object.keys(FORMS) as FormAction[]).filter((a) => mayTake(role, a) && FORMS[a].offered(status));
}

/** A number field: empty is left out; anything else must be a number (named when it is not). */
function numberField(values: FormValues, name: string, into: Record<string, unknown>, errors: FieldError[]): void {
  const raw = one(values[name]).trim();
  if (!raw) return;
  const n = Number(raw);
  if (!Number.isFinite(n)) errors.push({ field: name, message: 'must be a number' });
  else into[name] = n;
}

/** The posted form as the action's arguments (the actor is added by the caller). */
export function argsFromForm(action: FormAction, values: FormValues, status: CaseStatus, hospitals: Hospital[]): Record<string, unknown> {
  const text = (name: string) => {
    const v = one(values[name]).trim();
    return v ? { [name]: v } : {};
  };
  switch (action) {
    case 'receiveDocument':
      return { ...text('documentType'), ...text('language') };
    case 'waiveDocument':
    case 'requestDocument':
    case 'rejectTranslation':
      return { ...text('documentType'), ...text('reason') };
    case 'completeTranslation':
      return { ...text('documentType') };
    case 'submitToHospitals':
      return { hospitals: many(values.hospitals) };
    case 'recordDecision': {
      const documents = many(values.documents);
      return { ...text('hospitalCode'), ...text('decision'), ...text('reason'), ...(documents.length ? { documents } : {}) };
    }
    case 'chooseHospital':
    case 'approveSharing':
      return { ...text('hospitalCode') };
    case 'planAdmission': {
      const code = one(values.hospitalCode).trim();
      return { ...text('hospitalCode'), admissionAt: fromLocalInput(one(values.admissionAt), hospitalZone(hospitals, code), 'admissionAt'), ...text('contact'), ...text('notes') };
    }
    case 'recordInfusion':
      return { at: fromLocalInput(one(values.at), hospitalZone(hospitals, admissionHospital(status)), 'at') };
    case 'recordClinical': {
      const o: Record<string, unknown> = {};
      const errors: FieldError[] = [];
      numberField(values, 'temperatureC', o, errors);
      numberField(values, 'iceScore', o, errors);
      for (const name of ['hypotension', 'consciousness', 'seizure', 'cerebralEdema']) Object.assign(o, text(name));
      const vasopressors = many(values.vasopressors);
      if (vasopressors.length) o.vasopressors = vasopressors;
      for (const flag of ['feverMasked', 'motorWeakness']) if (one(values[flag]) === 'yes') o[flag] = true;
      const device = one(values['oxygen.device']).trim();
      if (device) {
        const oxygen: Record<string, unknown> = { device };
        const flow: Record<string, unknown> = {};
        numberField(values, 'oxygen.flowLpm', flow, errors);
        if (flow['oxygen.flowLpm'] !== undefined) oxygen.flowLpm = flow['oxygen.flowLpm'];
        o.oxygen = oxygen;
      }
      if (errors.length) throw new InputError(errors);
      return { observation: o };
    }
    case 'recordFollowUp':
      return { ...text('outcome') };
    case 'closeCase':
    case 'cancelCase':
      return { ...text('reason') };
    case 'confirmAdmission':
    case 'endMonitoring':
      return {};
  }
}

/** Field errors from the action layer, named as the form's inputs. */
export function formErrors(action: FormAction, errors: FieldError[]): FieldError[] {
  return errors.map((e) => {
    let field = e.field;
    if (action === 'recordClinical') field = field.replace(/^observation\./, '');
    if (action === 'submitToHospitals' && (field === 'hospitalCode' || field.startsWith('hospitals'))) field = 'hospitals';
    if (action === 'recordDecision' && field.startsWith('documents')) field = 'documents';
    if (action === 'recordClinical' && field.startsWith('vasopressors')) field = 'vasopressors';
    return { field, message: e.message };
  });
}

export function renderForm(action: FormAction, caseId: string, csrfToken: string, c: FormContext, refused?: string): Html {
  const spec = FORMS[action];
  const mine = c.values.__action === action;
  const ctx: FormContext = mine ? c : { ...c, values: {}, errors: [] };
  const fields = spec.fields(ctx);
  const unmarked = ctx.errors.filter((e) => !shown.has(e));
  return html`<form method="post" action="/console/cases/${caseId}/actions/${action}" id="form-${action}"${refused || ctx.errors.length ? html` class="refused"` : ''} aria-labelledby="title-${action}">
<h3 id="title-${action}">${spec.title}</h3>
${refused ? html`<p class="error" role="alert">Refused: ${refused}</p>` : ''}
${unmarked.length ? html`<p class="error" role="alert">${unmarked.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)).join('; ')}</p>` : ''}
${ctx.errors.length > unmarked.length ? html`<p class="error" role="alert">Please correct the fields marked below.</p>` : ''}
<input type="hidden" name="_csrf" value="${csrfToken}">
<input type="hidden" name="_request" value="${randomUUID()}">
${fields}
<button type="submit"${spec.danger ? html` class="danger"` : ''}>${spec.button}</button>
</form>`;
}
