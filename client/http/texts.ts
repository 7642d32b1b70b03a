// Every word the family's check-in pages say, in English, Simplified Chinese and Spanish. Plain,
// warm, non-medical wording; the service never gives treatment advice, it tells families whom to
// call. `{phone}` marks where the treating team's 24/7 number goes (the page makes it a tel: link).
import type { Symptom, Tier, TemperatureUnit } from '../../domain/checkin-report.ts';
import { TEMPERATURE_RANGE } from '../../domain/crs.ts';
import type { FormProblem } from './checkin-form.ts';

export const PAGE_LANGUAGES = ['en', 'zh', 'es'] as const;
export type PageLanguage = (typeof PAGE_LANGUAGES)[number];
export type ActionTier = Exclude<Tier, 'none'>;

/** 'zh-CN' → 'zh', 'es_MX' → 'es'; anything else → 'en'. */
export function pageLanguage(language: string | null | undefined): PageLanguage {
  const primary = (language ?? '').trim().toLowerCase().split(/[-_]/)[0] ?? '';
  return (PAGE_LANGUAGES as readonly string[]).includes(primary) ? (primary as PageLanguage) : 'en';
}

/** The best supported language of an Accept-Language header (for pages that know no family). */
export function languageFromHeader(header: string | undefined): PageLanguage {
  if (!header) return 'en';
  const ranked = header
    .split(',')
    .slice(0, 20)
    .map((part, i) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((x) => x !== undefined);
      return { tag, q: q === undefined ? 1 : Number(q), i };
    })
    .filter((r) => r.q > 0 && Number.isFinite(r.q))
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const r of ranked) {
    const primary = r.tag.toLowerCase().split('-')[0];
    if ((PAGE_LANGUAGES as readonly string[]).includes(primary ?? '')) return primary as PageLanguage;
  }
  return 'en';
}

/** A sentence with and without the team's number (a case's protocol may not name one). */
interface Phoned {
  withPhone: string;
  noPhone: string;
}

export interface Texts {
  /** The root element's `lang`. */
  htmlLang: string;
  service: string;
  /** The standing advice on every page about symptoms. */
  advice: Phoned;
  callTeamButton: string;

  formTitle: string;
  day(day: number): string;
  formIntro: string;
  errorSummaryTitle: string;
  temperatureLegend: string;
  temperatureLabel: string;
  temperatureHint: string;
  unitLabel: string;
  units: Record<TemperatureUnit, string>;
  takenAtLabel: string;
  takenAtHint(timeZone: string): string;
  noTemperatureLabel: string;
  admittedLegend: string;
  yes: string;
  no: string;
  symptomsLegend: string;
  symptomsHint: string;
  symptoms: Record<Symptom, string>;
  notesLabel: string;
  notesHint: string;
  submit: string;
  problems: Record<Exclude<FormProblem, 'temperatureRange'>, string> & { temperatureRange(unit: TemperatureUnit): string };

  recordedTitle: string;
  recordedSentence: string;
  actNowTitle: string;
  instruction: Record<ActionTier, Phoned>;

  answeredTitle: string;
  answeredBody: string;
  ifNotAlready: string;
  closedTitle: string;
  closedBody: string;
  upcomingTitle: string;
  upcomingBody: string;
  invalidTitle: string;
  invalidBody: string;
  tooManyTitle: string;
  tooManyBody: string;
  errorTitle: string;
  errorBody: string;
  notFoundTitle: string;
  notFoundBody: string;
}

const range = (unit: TemperatureUnit) => TEMPERATURE_RANGE[unit];

const en: Texts = {
  htmlLang: 'en',
  service: 'Care coordination',
  advice: {
    withPhone: "If you are worried at any time, call the treating team's 24/7 number {phone} now, or emergency services.",
    noPhone: "If you are worried at any time, call the treating team's 24/7 number now, or emergency services.",
  },
  callTeamButton: 'Call the treating team',

  formTitle: 'How is the patient right now?',
  day: (d) => (d === 0 ? 'Infusion day' : `Day ${d} after the infusion`),
  formIntro: 'A few short questions. It takes about two minutes.',
  errorSummaryTitle: 'Please check these answers',
  temperatureLegend: 'Temperature',
  temperatureLabel: 'Temperature reading',
  temperatureHint: 'For example 37.5',
  unitLabel: 'Unit',
  units: { c: '°C (Celsius)', f: '°F (Fahrenheit)' },
  takenAtLabel: 'When was it taken?',
  takenAtHint: (tz) => `Local time (${tz})`,
  noTemperatureLabel: 'I could not take a temperature',
  admittedLegend: 'Is the patient staying in hospital right now?',
  yes: 'Yes',
  no: 'No',
  symptomsLegend: 'Does the patient have any of these now, or since the last check-in?',
  symptomsHint: 'Tick all that apply. If none, leave them all empty.',
  symptoms: {
    chills: 'Chills or shaking',
    breathingDifficulty: 'Difficulty breathing',
    dizziness: 'Dizziness or light-headedness',
    fastHeartbeat: 'Fast or irregular heartbeat',
    confusion: 'Confusion or disorientation',
    troubleSpeakingOrWriting: 'Trouble speaking, understanding or writing (for example, handwriting has changed)',
    sleepyOrHardToWake: 'Unusually sleepy or hard to wake',
    seizure: 'Seizure or shaking fit',
    severeGiSymptoms: 'Severe nausea, vomiting or diarrhoea',
    severeFatigue: 'Severe tiredness or weakness',
  },
  notesLabel: 'Anything else you want the team to know? (optional)',
  notesHint: 'This may not be read straight away. If you are worried, please call instead.',
  submit: 'Send my answers',
  problems: {
    temperatureMissing: 'Write the temperature, or tick “I could not take a temperature”.',
    temperatureNotNumber: 'Write the temperature as a number, for example 37.5.',
    temperatureBoth: 'You wrote a temperature and also ticked “I could not take a temperature”. Please choose one.',
    temperatureRange: (u) => `This does not look like a body temperature in °${u.toUpperCase()} (between ${range(u).min} and ${range(u).max}). Please check the number and the unit.`,
    unit: 'Choose °C or °F.',
    takenAtMissing: 'Say when the temperature was taken.',
    takenAtInvalid: 'Write the date and time the temperature was taken.',
    takenAtFuture: 'This time is later than now. Please check the date and time.',
    admittedMissing: 'Please answer yes or no.',
    notesTooLong: 'Please keep this to 2,000 characters or fewer.',
    notesUnreadable: 'This text holds a character we cannot save (perhaps pasted from another app). Please type it again.',
    other: 'Please check this answer.',
  },

  recordedTitle: 'Thank you, your answers are recorded',
  recordedSentence: 'Thank you, your answers are recorded.',
  actNowTitle: 'Please call now',
  instruction: {
    contact_team: {
      withPhone: 'Please call the treating team now on {phone}.',
      noPhone: "Please call the treating team's 24/7 number now.",
    },
    urgent: {
      withPhone: 'Call the treating team now on {phone}. If you cannot reach them, call emergency services.',
      noPhone: "Call the treating team's 24/7 number now. If you cannot reach them, call emergency services.",
    },
    critical: {
      withPhone: 'Call emergency services (112 / 911 / 120 / local number) now, then the treating team on {phone}.',
      noPhone: "Call emergency services (112 / 911 / 120 / local number) now, then the treating team's 24/7 number.",
    },
  },

  answeredTitle: 'You already sent this check-in, thank you',
  answeredBody: 'Your answers were recorded. If anything has changed since then, please call the treating team rather than sending the form again.',
  ifNotAlready: 'If you have not done so already:',
  closedTitle: 'This check-in has closed',
  closedBody: 'This link can no longer be used. If there is another check-in, we will email you a new link.',
  upcomingTitle: 'This check-in is not open yet',
  upcomingBody: 'Please open this link again at the time given in the email.',
  invalidTitle: 'This link is not valid',
  invalidBody: 'Please check that you opened the whole link from the email. If it still does not work, reply to the email and your coordinator will help.',
  tooManyTitle: 'Too many tries',
  tooManyBody: 'Please wait a minute, then try again.',
  errorTitle: 'Something went wrong on our side',
  errorBody: 'We could not open or send your check-in just now. Please try again in a few minutes.',
  notFoundTitle: 'Page not found',
  notFoundBody: 'Please check the link.',
};

const zh: Texts = {
  htmlLang: 'zh-Hans',
  service: '患者协调服务',
  advice: {
    withPhone: '如果您在任何时候感到担心，请立即拨打治疗团队的 24 小时电话 {phone}，或拨打急救电话。',
    noPhone: '如果您在任何时候感到担心，请立即拨打治疗团队的 24 小时电话，或拨打急救电话。',
  },
  callTeamButton: '致电治疗团队',

  formTitle: '患者现在情况如何？',
  day: (d) => (d === 0 ? '回输当天' : `回输后第 ${d} 天`),
  formIntro: '只有几个简短的问题，大约需要两分钟。',
  errorSummaryTitle: '请检查以下回答',
  temperatureLegend: '体温',
  temperatureLabel: '体温读数',
  temperatureHint: '例如 37.5',
  unitLabel: '单位',
  units: { c: '°C（摄氏度）', f: '°F（华氏度）' },
  takenAtLabel: '什么时候测量的？',
  takenAtHint: (tz) => `当地时间（${tz}）`,
  noTemperatureLabel: '我没能测量体温',
  admittedLegend: '患者现在是否在住院？',
  yes: '是',
  no: '否',
  symptomsLegend: '患者现在或自上次随访以来，是否有以下任何情况？',
  symptomsHint: '请勾选所有符合的情况。如果都没有，请全部不勾选。',
  symptoms: {
    chills: '发冷或打寒战',
    breathingDifficulty: '呼吸困难',
    dizziness: '头晕或头重脚轻',
    fastHeartbeat: '心跳很快或不规律',
    confusion: '神志不清或分不清时间、地点',
    troubleSpeakingOrWriting: '说话、理解或书写有困难（例如字迹变了）',
    sleepyOrHardToWake: '异常嗜睡或很难叫醒',
    seizure: '癫痫发作或抽搐',
    severeGiSymptoms: '严重的恶心、呕吐或腹泻',
    severeFatigue: '严重的疲倦或无力',
  },
  notesLabel: '还有什么想告诉医疗团队的吗？（选填）',
  notesHint: '这里的内容可能不会被立即看到。如果您感到担心，请直接打电话。',
  submit: '提交我的回答',
  problems: {
    temperatureMissing: '请填写体温，或勾选“我没能测量体温”。',
    temperatureNotNumber: '请用数字填写体温，例如 37.5。',
    temperatureBoth: '您填写了体温，同时又勾选了“我没能测量体温”。请只选一项。',
    temperatureRange: (u) => `这看起来不像以 °${u.toUpperCase()} 计的体温（应在 ${range(u).min} 到 ${range(u).max} 之间）。请检查数字和单位。`,
    unit: '请选择 °C 或 °F。',
    takenAtMissing: '请填写测量体温的时间。',
    takenAtInvalid: '请填写测量体温的日期和时间。',
    takenAtFuture: '这个时间晚于现在。请检查日期和时间。',
    admittedMissing: '请回答“是”或“否”。',
    notesTooLong: '请不要超过 2000 个字。',
    notesUnreadable: '这段文字里有一个我们无法保存的字符（可能是从其他应用粘贴的）。请重新输入。',
    other: '请检查这个回答。',
  },

  recordedTitle: '谢谢，您的回答已记录',
  recordedSentence: '谢谢，您的回答已记录。',
  actNowTitle: '请现在就打电话',
  instruction: {
    contact_team: {
      withPhone: '请现在就致电治疗团队：{phone}。',
      noPhone: '请现在就拨打治疗团队的 24 小时电话。',
    },
    urgent: {
      withPhone: '请立即致电治疗团队：{phone}。如果联系不上，请拨打急救电话。',
      noPhone: '请立即拨打治疗团队的 24 小时电话。如果联系不上，请拨打急救电话。',
    },
    critical: {
      withPhone: '请立即拨打急救电话（112 / 911 / 120 / 当地急救号码），然后致电治疗团队：{phone}。',
      noPhone: '请立即拨打急救电话（112 / 911 / 120 / 当地急救号码），然后拨打治疗团队的 24 小时电话。',
    },
  },

  answeredTitle: '您已经提交过本次随访，谢谢',
  answeredBody: '您的回答已记录。如果之后情况有变化，请直接致电治疗团队，不需要再次提交表格。',
  ifNotAlready: '如果您还没有这样做：',
  closedTitle: '本次随访已关闭',
  closedBody: '此链接已不能使用。如果还有下一次随访，我们会通过电子邮件发送新的链接。',
  upcomingTitle: '本次随访尚未开始',
  upcomingBody: '请在邮件中注明的时间再打开此链接。',
  invalidTitle: '此链接无效',
  invalidBody: '请确认您打开的是邮件中的完整链接。如果仍然无法使用，请直接回复该邮件，您的协调员会帮助您。',
  tooManyTitle: '尝试次数过多',
  tooManyBody: '请等一分钟后再试。',
  errorTitle: '我们这边出了问题',
  errorBody: '我们暂时无法打开或提交您的随访表。请过几分钟再试。',
  notFoundTitle: '找不到此页面',
  notFoundBody: '请检查链接。',
};

const es: Texts = {
  htmlLang: 'es',
  service: 'Coordinación de pacientes',
  advice: {
    withPhone: 'Si en algún momento le preocupa algo, llame ahora al teléfono de 24 horas del equipo médico, {phone}, o a emergencias.',
    noPhone: 'Si en algún momento le preocupa algo, llame ahora al teléfono de 24 horas del equipo médico o a emergencias.',
  },
  callTeamButton: 'Llamar al equipo médico',

  formTitle: '¿Cómo está el paciente ahora?',
  day: (d) => (d === 0 ? 'Día de la infusión' : `Día ${d} después de la infusión`),
  formIntro: 'Son unas pocas preguntas cortas. Le llevará unos dos minutos.',
  errorSummaryTitle: 'Revise estas respuestas, por favor',
  temperatureLegend: 'Temperatura',
  temperatureLabel: 'Temperatura medida',
  temperatureHint: 'Por ejemplo, 37,5',
  unitLabel: 'Unidad',
  units: { c: '°C (Celsius)', f: '°F (Fahrenheit)' },
  takenAtLabel: '¿Cuándo la tomó?',
  takenAtHint: (tz) => `Hora local (${tz})`,
  noTemperatureLabel: 'No he podido tomar la temperatura',
  admittedLegend: '¿Está el paciente ingresado en el hospital ahora mismo?',
  yes: 'Sí',
  no: 'No',
  symptomsLegend: '¿Tiene el paciente alguno de estos síntomas ahora, o los ha tenido desde el último control?',
  symptomsHint: 'Marque todos los que correspondan. Si no tiene ninguno, déjelos sin marcar.',
  symptoms: {
    chills: 'Escalofríos o temblores',
    breathingDifficulty: 'Dificultad para respirar',
    dizziness: 'Mareo o sensación de aturdimiento',
    fastHeartbeat: 'Latido del corazón rápido o irregular',
    confusion: 'Confusión o desorientación',
    troubleSpeakingOrWriting: 'Dificultad para hablar, entender o escribir (por ejemplo, ha cambiado su letra)',
    sleepyOrHardToWake: 'Más sueño de lo normal o cuesta despertarle',
    seizure: 'Convulsión o ataque con sacudidas',
    severeGiSymptoms: 'Náuseas, vómitos o diarrea fuertes',
    severeFatigue: 'Cansancio o debilidad fuertes',
  },
  notesLabel: '¿Algo más que quiera contar al equipo? (opcional)',
  notesHint: 'Puede que no se lea enseguida. Si le preocupa algo, llame por teléfono.',
  submit: 'Enviar mis respuestas',
  problems: {
    temperatureMissing: 'Escriba la temperatura o marque «No he podido tomar la temperatura».',
    temperatureNotNumber: 'Escriba la temperatura como un número, por ejemplo 37,5.',
    temperatureBoth: 'Ha escrito una temperatura y también ha marcado «No he podido tomar la temperatura». Elija solo una opción.',
    temperatureRange: (u) => `Esto no parece una temperatura corporal en °${u.toUpperCase()} (entre ${range(u).min} y ${range(u).max}). Revise el número y la unidad.`,
    unit: 'Elija °C o °F.',
    takenAtMissing: 'Indique cuándo tomó la temperatura.',
    takenAtInvalid: 'Escriba la fecha y la hora en que tomó la temperatura.',
    takenAtFuture: 'Esta hora es posterior a la actual. Revise la fecha y la hora.',
    admittedMissing: 'Responda sí o no, por favor.',
    notesTooLong: 'Escriba 2000 caracteres como máximo, por favor.',
    notesUnreadable: 'Este texto contiene un carácter que no podemos guardar (quizá copiado de otra aplicación). Escríbalo de nuevo, por favor.',
    other: 'Revise esta respuesta, por favor.',
  },

  recordedTitle: 'Gracias, hemos registrado sus respuestas',
  recordedSentence: 'Gracias, hemos registrado sus respuestas.',
  actNowTitle: 'Llame ahora, por favor',
  instruction: {
    contact_team: {
      withPhone: 'Por favor, llame ahora al equipo médico: {phone}.',
      noPhone: 'Por favor, llame ahora al teléfono de 24 horas del equipo médico.',
    },
    urgent: {
      withPhone: 'Llame ahora al equipo médico: {phone}. Si no consigue hablar con ellos, llame a emergencias.',
      noPhone: 'Llame ahora al teléfono de 24 horas del equipo médico. Si no consigue hablar con ellos, llame a emergencias.',
    },
    critical: {
      withPhone: 'Llame ahora a emergencias (112 / 911 / 120 / el número local) y después al equipo médico: {phone}.',
      noPhone: 'Llame ahora a emergencias (112 / 911 / 120 / el número local) y después al teléfono de 24 horas del equipo médico.',
    },
  },

  answeredTitle: 'Ya nos envió este control, gracias',
  answeredBody: 'Sus respuestas quedaron registradas. Si algo ha cambiado desde entonces, llame al equipo médico en lugar de volver a enviar el formulario.',
  ifNotAlready: 'Si todavía no lo ha hecho:',
  closedTitle: 'Este control ya está cerrado',
  closedBody: 'Este enlace ya no se puede usar. Si hay otro control, le enviaremos un enlace nuevo por correo electrónico.',
  upcomingTitle: 'Este control todavía no está abierto',
  upcomingBody: 'Vuelva a abrir este enlace a la hora indicada en el correo.',
  invalidTitle: 'Este enlace no es válido',
  invalidBody: 'Compruebe que ha abierto el enlace completo del correo. Si sigue sin funcionar, responda al correo y su coordinador le ayudará.',
  tooManyTitle: 'Demasiados intentos',
  tooManyBody: 'Espere un minuto y vuelva a intentarlo.',
  errorTitle: 'Algo ha fallado por nuestra parte',
  errorBody: 'No hemos podido abrir ni enviar su control en este momento. Vuelva a intentarlo dentro de unos minutos.',
  notFoundTitle: 'Página no encontrada',
  notFoundBody: 'Compruebe el enlace, por favor.',
};

export const TEXTS: Record<PageLanguage, Texts> = { en, zh, es };
