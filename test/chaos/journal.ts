// What happened to each case during the run, from the side of the people driving it: what the
// coordinator did (the checks afterwards derive the emails a case owes from it and from the case's
// final state) and what the family did with each check-in.
import type { Stage } from '../../domain/case.ts';
import type { Answer, CasePlan } from './plan.ts';

export interface FamilyAnswer {
  checkinId: number;
  planned: Answer;
  /** answered: the result page (200); refused: the form said no (409); closed: the link had closed (410). */
  outcome: 'answered' | 'refused' | 'closed' | 'missed on purpose' | 'failed';
  detail?: string;
}

export interface CaseJournal {
  plan: CasePlan;
  caseId?: string;
  /** The driver finished its path (or gave up: `error`). */
  done: boolean;
  error?: string;
  /** Actions the case refused that the path did not expect (each a driver or product problem). */
  refusals: string[];
  /** Admission plans applied. */
  plans: number;
  /** The coordinator chose among two acceptances when the case asked for it. */
  chose: boolean;
  /** The case went through navigation (every hospital declined). */
  navigation: boolean;
  /** Alerts the coordinator acknowledged (id). */
  acknowledged: Set<string>;
  /** The stage the coordinator cancelled the case in. */
  cancelledIn?: Stage;
  /** The family's check-ins, by check-in id. */
  answers: Map<number, FamilyAnswer>;
  openedAt?: number;
  finishedAt?: number;
}

export function newJournal(plan: CasePlan): CaseJournal {
  return { plan, done: false, refusals: [], plans: 0, chose: false, navigation: false, acknowledged: new Set(), answers: new Map() };
}
