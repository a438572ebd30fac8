import { XaiError } from '@xai/core';
import type { MethodParams } from '../protocol.js';

/** The raw text of the parameter fields, as the form holds them. */
export interface ParamFields {
  n: string;
  s: string;
  p1: string;
  seed: string;
  scores: string;
  layer: string;
  batchSize: string;
}

export const DEFAULT_FIELDS: ParamFields = { n: '1000', s: '8', p1: '0.5', seed: '0', scores: 'prob', layer: '', batchSize: '32' };

function wholeNumber(text: string, what: string, min: number, max: number): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isInteger(value) || value < min || value > max) {
    throw new XaiError(`${what} must be a whole number from ${min} to ${max}, got "${text}"`);
  }
  return value;
}

/** Checks the form's fields and turns them into method parameters; the message names the bad field. */
export function parseParams(fields: ParamFields): MethodParams {
  const p1 = Number(fields.p1);
  if (fields.p1.trim() === '' || !(p1 > 0 && p1 <= 1)) {
    throw new XaiError(`The keep probability p1 must be a number in (0, 1], got "${fields.p1}"`);
  }
  if (fields.scores !== 'prob' && fields.scores !== 'logit') {
    throw new XaiError(`Scores must be "prob" or "logit", got "${fields.scores}"`);
  }
  const batchSize = wholeNumber(fields.batchSize, 'The batch size', 1, 1024);
  return {
    rise: {
      n: wholeNumber(fields.n, 'N (the number of masks)', 1, 100_000),
      s: wholeNumber(fields.s, 'The grid size s', 1, 128),
      p1,
      seed: wholeNumber(fields.seed, 'The seed', 0, 0xffffffff),
      scores: fields.scores,
      batchSize,
    },
    absCam: { layer: fields.layer.trim(), batchSize },
  };
}
