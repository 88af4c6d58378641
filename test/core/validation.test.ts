import { Construct } from 'constructs';
import { addProblemCheck, Problem, problemsOf } from '../../src/internal';

const problem = (component: string): Problem => ({ component, field: 'f', value: 1, allowed: 'x' });

describe('problemsOf: every check of a tree, by one walk', () => {
  test('a node before its children, children in the order they were made, each node\'s checks in the order added', () => {
    // GIVEN a root with two checks and two children, the second with a child of its own
    const root = new Construct(undefined as any, 'root');
    const a = new Construct(root, 'a');
    const b = new Construct(root, 'b');
    const c = new Construct(b, 'c');
    addProblemCheck(c, { validate: () => [problem('c')] });
    addProblemCheck(root, { validate: () => [problem('root 1')] });
    addProblemCheck(a, { validate: () => [] });
    addProblemCheck(b, { validate: () => [problem('b')] });
    addProblemCheck(root, { validate: () => [problem('root 2')] });
    // THEN one list, in the tree's order
    expect(problemsOf(root).map((p) => p.component)).toEqual(['root 1', 'root 2', 'b', 'c']);
    // AND a subtree lists its own only
    expect(problemsOf(b).map((p) => p.component)).toEqual(['b', 'c']);
  });

  test('a check that fails outright is left out after problems were found, and stands when none were', () => {
    const root = new Construct(undefined as any, 'root');
    addProblemCheck(new Construct(root, 'broken'), { validate: () => { throw new Error('undefined is not an object'); } });
    expect(() => problemsOf(root)).toThrow('undefined is not an object');
    addProblemCheck(root, { validate: () => [problem('the cause')] });
    expect(problemsOf(root).map((p) => p.component)).toEqual(['the cause']);
  });
});
