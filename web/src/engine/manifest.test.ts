import { describe, expect, it } from 'vitest';
import { ManifestError, parseManifest, styleVector } from './manifest';
import { shipped } from './test-models';

describe('manifest', () => {
  it('accepts the shipped manifest and builds style vectors', () => {
    const m = parseManifest(shipped());
    expect(m.styles.length).toBe(12);
    const v = styleVector(m, 'great-wave');
    expect(v.length).toBe(12);
    expect(v.reduce((a, b) => a + b)).toBe(1);
    expect(v[m.styles.find((s) => s.id === 'great-wave')!.index]).toBe(1);
    const mix = styleVector(m, 'great-wave', { 'great-wave': 1, 'starry-night': 3 });
    expect(mix[m.styles.find((s) => s.id === 'starry-night')!.index]).toBeCloseTo(0.75);
  });
  it.each([
    [(m: any) => { m.schema = 2; }, 'version 2'],
    [(m: any) => { delete m.styles[0].title; }, 'styles/0/title'],
    [(m: any) => { m.styles[0].model = 'nope'; }, 'names model nope'],
    [(m: any) => { m.models[0].files[0].sha256 = 'abc'; }, 'sha256'],
    [(m: any) => { m.models[0].files[0].path = '../etc/passwd'; }, 'unsafe'],
    [(m: any) => { m.styles[1].id = m.styles[0].id; }, 'not unique'],
  ])('names the problem %#', (change, words) => {
    const m = shipped();
    change(m);
    expect(() => parseManifest(m)).toThrow(ManifestError);
    expect(() => parseManifest(m)).toThrow(words as string);
  });
});
