// The player: a descent's frames played over PLAY_MS, paused, stepped. `count()` says how
// many frames the fits on screen have; `show()` draws the current one.

const PLAY_MS = 4000; // a whole descent plays in this long

export class Player {
  constructor(count, show) {
    this.count = count;
    this.show = show;
    this.frame = 0; // index into the trajectories on screen
    this.playing = false;
    this.began = 0;
  }

  play() {
    if (this.frame >= this.count() - 1) this.frame = 0;
    this.playing = true;
    this.began = performance.now() - (this.frame / Math.max(1, this.count() - 1)) * PLAY_MS;
    requestAnimationFrame(() => this.tick());
  }

  tick() {
    if (!this.playing) return;
    const last = this.count() - 1;
    const elapsed = Math.max(0, performance.now() - this.began);
    this.frame = Math.min(last, Math.floor((elapsed / PLAY_MS) * last));
    this.show();
    if (this.frame >= last) this.playing = false;
    else requestAnimationFrame(() => this.tick());
  }

  pause() {
    this.playing = false;
  }

  /** Show frame i (clamped), paused. */
  showFrame(i) {
    this.pause();
    this.frame = Math.max(0, Math.min(this.count() - 1, i));
    this.show();
  }
}
