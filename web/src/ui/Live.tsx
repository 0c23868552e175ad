import { useCallback, useEffect, useRef, useState } from 'react';
import { LiveLoop, memoryUse, type FramePainter, type LiveStats } from '../engine';

/** What getUserMedia's failures mean to a visitor. */
export function cameraMessage(error: unknown): string {
  const name = (error as DOMException)?.name;
  if (name === 'NotAllowedError' || name === 'SecurityError') {
    return 'The camera was refused. To use live mode, allow the camera for this site in the browser\'s settings (the picture stays on this device).';
  }
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return 'No camera was found on this device.';
  if (name === 'NotReadableError' || name === 'AbortError') return 'The camera is busy: another app or tab may be using it.';
  return `The camera could not be started: ${(error as Error)?.message ?? error}`;
}

interface Props {
  painter: React.MutableRefObject<FramePainter | null>;
  styleName: string;
  onMessage: (kind: 'busy' | 'error' | 'done' | 'idle', text: string) => void;
  onError: (error: unknown) => void;
}

/** Live mode: the camera, painted frame after frame by the engine's LiveLoop. */
export function Live({ painter, styleName, onMessage, onError }: Props) {
  const video = useRef<HTMLVideoElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const loop = useRef<LiveLoop | null>(null);
  const stream = useRef<MediaStream | null>(null);
  const [cameras, setCameras] = useState<MediaDeviceInfo[]>([]);
  const [camera, setCamera] = useState('');
  const [mirrored, setMirrored] = useState(true);
  const [stats, setStats] = useState<(LiveStats & { tensors: number; bytes: number }) | null>(null);
  const [running, setRunning] = useState(false);
  const lastStats = useRef(0);
  const onErrorRef = useRef(onError);
  onErrorRef.current = onError;

  const unmounted = useRef(false);
  const stopStream = () => {
    stream.current?.getTracks().forEach((t) => t.stop());
    stream.current = null;
  };

  const open = useCallback(async (deviceId: string) => {
    if (!navigator.mediaDevices?.getUserMedia) {
      onMessage('error', 'This browser gives no camera access here (live mode needs HTTPS or localhost).');
      return;
    }
    onMessage('busy', 'Asking for the camera…');
    try {
      const s = await navigator.mediaDevices.getUserMedia({
        audio: false,
        video: deviceId ? { deviceId: { exact: deviceId } } : { facingMode: 'user', width: { ideal: 640 }, height: { ideal: 480 } },
      });
      if (unmounted.current) { // the visitor left live mode while the browser asked: let the camera go
        s.getTracks().forEach((t) => t.stop());
        return;
      }
      stopStream();
      stream.current = s;
      const track = s.getVideoTracks()[0];
      const facing = track.getSettings().facingMode;
      setMirrored(facing !== 'environment'); // a selfie view is mirrored, a back camera is not
      setCamera(track.getSettings().deviceId ?? deviceId);
      const v = video.current!;
      v.srcObject = s;
      await v.play();
      if (unmounted.current) return; // the cleanup stopped the stream meanwhile
      setCameras((await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === 'videoinput'));
      if (!loop.current) {
        loop.current = new LiveLoop(v, canvas.current!, () => painter.current, {
          onError: (error) => onErrorRef.current(error),
          onStats: (st) => {
            const now = performance.now();
            if (now - lastStats.current > 250) { // a readout four times a second is plenty
              lastStats.current = now;
              const m = memoryUse(); // between frames: only what outlives a frame (the models)
              setStats({ ...st, tensors: m.tensors, bytes: m.bytes });
            }
          },
        });
        loop.current.start();
      }
      setRunning(true);
      onMessage('done', `Live: painting the camera in the style of ${styleName}.`);
    } catch (error) {
      if (!unmounted.current) onMessage('error', cameraMessage(error));
    }
  }, [onMessage, painter, styleName]);

  useEffect(() => {
    unmounted.current = false;
    open('');
    return () => {
      unmounted.current = true;
      const l = loop.current;
      loop.current = null;
      l?.stop();
      stopStream();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const snapshot = () => {
    const c = canvas.current;
    if (!c || !c.width) return;
    const copy = document.createElement('canvas');
    copy.width = c.width;
    copy.height = c.height;
    const ctx = copy.getContext('2d')!;
    if (mirrored) { // save what the visitor sees
      ctx.translate(c.width, 0);
      ctx.scale(-1, 1);
    }
    ctx.drawImage(c, 0, 0);
    copy.toBlob((blob) => {
      if (!blob) return;
      const a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = `live-${styleName.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.png`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    }, 'image/png');
  };

  return (
    <section aria-label="Live camera" className="live">
      <video ref={video} muted playsInline hidden />
      <canvas ref={canvas} data-testid="live-output" className={mirrored ? 'mirrored' : ''} role="img" aria-label="The camera, painted" />
      <div className="live-controls">
        {cameras.length > 1 && (
          <label>Camera <select data-testid="camera" value={camera} onChange={(e) => open(e.target.value)}>
            {cameras.map((c, i) => <option key={c.deviceId} value={c.deviceId}>{c.label || `Camera ${i + 1}`}</option>)}
          </select></label>
        )}
        <button type="button" disabled={!running} onClick={snapshot}>Snapshot (PNG)</button>
        <span data-testid="live-stats" data-frames={stats?.frames ?? 0} data-fps={stats?.fps ?? 0}
          data-latency={stats?.latencyMs ?? 0} data-side={stats?.side ?? 0} data-dropped={stats?.dropped ?? 0}
          data-tensors={stats?.tensors ?? 0} data-bytes={stats?.bytes ?? 0}>
          {stats ? `${stats.fps} fps · ${stats.latencyMs} ms a frame · ${stats.width} × ${stats.height}` : '…'}
        </span>
      </div>
    </section>
  );
}
