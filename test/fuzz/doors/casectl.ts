// casectl: every command of its commander program (client/casectl.ts buildProgram), so a new
// command is fuzzed without a change here. Each argument and option gets a value its name calls
// for (a case in a slot, a hospital code, patient data, an instant, a JSON file built from the same
// schemas as the API's bodies), or an awkward one; required ones are sometimes left out and unknown
// ones added. Run in this process through runCasectl, with standard input given.
import fc from 'fast-check';
import { z } from 'zod';
import { STAGES } from '../../../domain/case.ts';
import { protocolSchema } from '../../../domain/monitoring.ts';
import type { CliCall, CliWord, Creates } from '../request.ts';
import { bodyFor, type Hints, type JsonSchema } from '../schema.ts';
import { anyPatientText, aroundBound, awkward, patientEmail, toJson } from '../values.ts';
import type { CliCommand, FuzzContext } from '../world.ts';
import { OBSERVATION_SCHEMA, alertId, documentType, freshHospitalCode, hospitalCode, instant, language, timeZone } from './common.ts';
import type { DoorRoute } from './paths.ts';

const PROTOCOL_SCHEMA = z.toJSONSchema(protocolSchema(), { io: 'input', unrepresentable: 'any' }) as JsonSchema;

/** JSON text for `--file` (or standard input): a generated body, or text that is not JSON. */
function jsonFile(schema: JsonSchema, hints: Hints): fc.Arbitrary<{ text: string; value?: unknown }> {
  return fc.oneof(
    { weight: 6, arbitrary: bodyFor(schema, hints).map((b) => ({ text: toJson(b.value), value: b.value })) },
    { weight: 1, arbitrary: fc.constantFrom('', ' ', '{', '[]', 'null', '"x"', '{"a":1e309}', '\ufeff{}').map((text) => ({ text })) },
  );
}

/** What the command's files hold: a case, a protocol or an observation. */
function fileSchema(command: string, ctx: FuzzContext): JsonSchema | undefined {
  if (command === 'case open') return ctx.openapi.paths['/api/cases']?.post?.requestBody?.content['application/json']?.schema as JsonSchema | undefined;
  if (command === 'protocol set') return PROTOCOL_SCHEMA;
  if (command === 'checkin clinical' || command === 'crs grade') return OBSERVATION_SCHEMA;
  return undefined;
}

/** A value for an argument or option by its name, and sometimes an awkward one instead. */
function valueFor(name: string, command: string, ctx: FuzzContext, choices?: readonly string[]): fc.Arbitrary<CliWord> {
  const typed = ((): fc.Arbitrary<CliWord> => {
    if (choices?.length) return fc.constantFrom(...choices);
    switch (name) {
      case 'caseId':
        return fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...ctx.slots).map((slot) => ({ slot })) }, { weight: 1, arbitrary: fc.constantFrom('c000000000000', '', '-x') });
      case 'hospitalCodes':
      case 'hospitalCode':
      case 'hospital':
        return hospitalCode(ctx);
      case 'code':
        return fc.oneof({ weight: 3, arbitrary: freshHospitalCode }, { weight: 1, arbitrary: hospitalCode(ctx) });
      case 'documentType':
        return documentType;
      case 'documents':
        return fc.array(documentType, { maxLength: 3 }).map((d) => d.join(','));
      case 'alertId':
        return alertId;
      case 'email':
        // Staff accounts (user add, user token): not patient data, so no canary.
        return command === 'user token' ? fc.oneof(fc.constant(ctx.adminEmail), fc.constant('nobody@care.test')) : fc.integer({ min: 0, max: 2 ** 40 }).map((n) => `fz.staff.${n.toString(36)}@care.test`);
      case 'role':
        return fc.constantFrom('coordinator', 'clinician', 'ops', 'admin', '');
      case 'name':
        return command === 'protocol set' ? fc.integer({ min: 0, max: 2 ** 40 }).map((n) => `fz-proto-${n.toString(36)}`) : anyPatientText(200);
      case 'language':
      case 'familyLanguage':
        return language;
      case 'timezone':
      case 'familyTimezone':
        return timeZone;
      case 'familyEmail':
        return patientEmail;
      case 'stage':
        return fc.constantFrom(...STAGES, 'limbo');
      case 'alert':
        return fc.constantFrom('open', 'clinical', 'none', 'all');
      case 'page':
        return fc.constantFrom('1', '2', '0', '-1', '1e309', 'abc', '');
      case 'at':
      case 'date':
        return instant(ctx);
      case 'feverThreshold':
        return fc.constantFrom('37.5', '38', '36', '38.1', 'abc', '', 'NaN');
      case 'phone':
        return fc.oneof(fc.constant('+34 91 123 45 67'), aroundBound(50, fc.constant('+')));
      default:
        // reason, outcome, notes, contact, diagnosis, therapy, familyName, patientRef, search...
        return anyPatientText(2000);
    }
  })();
  return fc.oneof({ weight: 6, arbitrary: typed }, { weight: 1, arbitrary: awkward });
}

function commandCall(cmd: CliCommand, ctx: FuzzContext, hints: Hints): fc.Arbitrary<CliCall> {
  const command = cmd.path.join(' ');
  const schema = fileSchema(command, ctx);
  const file = schema ? jsonFile(schema, hints) : fc.constant({ text: '{}' });
  const args = cmd.args.map((a) => {
    const one = valueFor(a.name, command, ctx, a.choices);
    const some = a.variadic ? fc.array(one, { minLength: 1, maxLength: 3 }) : one.map((v) => [v]);
    return a.required ? fc.oneof({ weight: 9, arbitrary: some }, { weight: 1, arbitrary: fc.constant<CliWord[]>([]) }) : fc.oneof(some, fc.constant<CliWord[]>([]));
  });
  // About one optional option a command line: more would mostly collide (case open takes --file or the flags).
  const optional = cmd.options.filter((o) => !o.mandatory).length;
  const options = cmd.options.map((o) => {
    const [present, absent] = o.mandatory ? [9, 1] : [1, Math.max(1, optional - 1)];
    if (!o.takesValue) return fc.oneof({ weight: absent, arbitrary: fc.constant<CliWord[]>([]) }, { weight: present, arbitrary: fc.constant<CliWord[]>([o.flag]) });
    const value: fc.Arbitrary<CliWord[]> =
      o.name === 'file'
        ? fc.oneof({ weight: 8, arbitrary: file.map((f): CliWord[] => [o.flag, { file: f.text }]) }, { weight: 1, arbitrary: fc.constantFrom('/nonexistent/case.json', '-', '').map((p): CliWord[] => [o.flag, p]) })
        : valueFor(o.name, command, ctx, o.choices).map((v): CliWord[] => [o.flag, v]);
    return fc.oneof({ weight: present, arbitrary: value }, { weight: absent, arbitrary: fc.constant<CliWord[]>([]) });
  });
  const extra = fc.oneof({ weight: 12, arbitrary: fc.constant<CliWord[]>([]) }, { weight: 1, arbitrary: fc.constantFrom<CliWord[]>(['--bogus'], ['extra-word'], ['--json', '--json'], ['--'], ['--help']) });
  const json = fc.oneof({ weight: 2, arbitrary: fc.constant<CliWord[]>([]) }, { weight: 1, arbitrary: fc.constant<CliWord[]>(['--json']) });
  // Standard input: the password of `user add`, or the JSON a `--file -` (or no --file) reads.
  const stdin = command === 'user add' ? fc.oneof({ weight: 4, arbitrary: fc.constant('a long enough password\n') }, { weight: 1, arbitrary: fc.oneof(awkward, aroundBound(1024, fc.constant('p'))) }) : file.map((f) => f.text);
  return fc.record({ args: fc.tuple(...args), options: fc.tuple(...options), extra, json, stdin }).map((r): CliCall => {
    const argv: CliWord[] = [...cmd.path, ...r.args.flat(), ...r.options.flat(), ...r.extra, ...r.json];
    const creates = createdBy(command, argv, r.stdin);
    return { door: 'casectl', route: `casectl ${command}`, argv, stdin: r.stdin, ...(creates ? { creates } : {}) };
  });
}

/** The row a casectl command creates when it succeeds: for the "no row for a refused request" check. */
function createdBy(command: string, argv: CliWord[], stdin: string): Creates | undefined {
  // With --help, commander prints the usage and the command does nothing.
  if (argv.includes('--help')) return undefined;
  // Only a flag given once with a value that is not itself a flag names a row for sure.
  const flag = (name: string): CliWord | undefined => {
    const i = argv.indexOf(name);
    const value = argv[i + 1];
    return i >= 0 && argv.lastIndexOf(name) === i && !(typeof value === 'string' && value.startsWith('-')) ? value : undefined;
  };
  const text = (w: CliWord | undefined) => (typeof w === 'string' ? w : undefined);
  switch (command) {
    case 'hospital add': {
      const code = text(flag('--code'));
      return code !== undefined ? { table: 'hospitals', key: code } : undefined;
    }
    case 'user add': {
      const email = text(flag('--email'));
      return email !== undefined ? { table: 'users', key: email.trim().toLowerCase() } : undefined;
    }
    case 'protocol set': {
      const name = text(flag('--name'));
      return name !== undefined ? { table: 'protocols', key: name.trim() } : undefined;
    }
    case 'case open': {
      const file = flag('--file');
      const json = file && typeof file === 'object' && 'file' in file ? file.file : file === '-' ? stdin : undefined;
      let ref = text(flag('--patient-ref'));
      if (json !== undefined) {
        try {
          const parsed = JSON.parse(json) as { patientRef?: unknown };
          ref = typeof parsed?.patientRef === 'string' ? parsed.patientRef : undefined;
        } catch {
          ref = undefined;
        }
      }
      return ref !== undefined ? { table: 'cases', key: ref } : undefined;
    }
    default:
      return undefined;
  }
}

export function casectlRoutes(ctx: FuzzContext, hints: Hints): DoorRoute[] {
  const routes: DoorRoute[] = ctx.commands.map((cmd) => ({ door: 'casectl', route: `casectl ${cmd.path.join(' ')}`, arb: commandCall(cmd, ctx, hints) }));
  routes.push({
    door: 'casectl',
    route: 'casectl (no command)',
    arb: fc.constantFrom<CliWord[]>([], ['--help'], ['nope'], ['case'], ['--json'], ['case', 'show']).map((argv): CliCall => ({ door: 'casectl', route: 'casectl (no command)', argv, stdin: '' })),
  });
  return routes;
}
