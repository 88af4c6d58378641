import { IConstruct } from 'constructs';
import { Problem } from './problem';

/** Something of the model that knows its own problems: a part of the stack, a target. */
export interface Validates {
  validate(): Problem[];
}

/**
 * The checks added to each node of the construct tree. constructs' own `node.addValidation` speaks in strings;
 * these keep the Problem's fields (component, field, value, allowed), which the refusal list is made of.
 */
const CHECKS = new WeakMap<IConstruct, Validates[]>();

/** Adds a check to a node of the tree: `problemsOf` an ancestor lists its problems, in the order checks were added. */
export function addProblemCheck(scope: IConstruct, check: Validates): void {
  const checks = CHECKS.get(scope) ?? [];
  checks.push(check);
  CHECKS.set(scope, checks);
}

/**
 * Every problem under `root`, by one walk over the tree (a node before its children, children in the order they
 * were made). A check that fails outright on a model other checks have already found wrong is a consequence of
 * those problems, and is left out; on a model with no problem found yet, its error stands.
 */
export function problemsOf(root: IConstruct): Problem[] {
  const problems: Problem[] = [];
  for (const node of root.node.findAll()) {
    for (const check of CHECKS.get(node) ?? []) {
      try {
        problems.push(...check.validate());
      } catch (error) {
        if (problems.length === 0) throw error;
      }
    }
  }
  return problems;
}
