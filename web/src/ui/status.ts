/**
 * The status line: one message at a time, each with a sequence number (data-seq) so that tests and
 * assistive technology see every new one, even when its text repeats.
 */
import { useCallback, useRef, useState } from 'react';

export type Status = { kind: 'idle' | 'busy' | 'error' | 'done'; text: string; seq?: number };
export type Say = (status: Status) => void;

export function useStatus(): [Status, Say] {
  const [status, setStatus] = useState<Status>({ kind: 'busy', text: 'Starting…', seq: 0 });
  const seq = useRef(0);
  const say = useCallback((s: Status) => setStatus({ ...s, seq: ++seq.current }), []);
  return [status, say];
}

/**
 * A progress callback (done, total) that calls `say` with the percentage only when it reaches a new
 * 10% step: the status is read out by screen readers, and a download or a large photo reports hundreds of times.
 */
export function inTenths(say: (percent: number) => void): (done: number, total: number) => void {
  let shown = -1;
  return (done, total) => {
    const percent = 10 * Math.floor((10 * done) / total);
    if (percent !== shown) {
      shown = percent;
      say(percent);
    }
  };
}
