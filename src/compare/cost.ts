// What running a view costs, measured inside the process that runs only it:
// CPU (user and kernel) around each tick, the whole process over the window,
// read/write syscalls, context switches, memory.
import * as fs from 'fs';

export interface Cost {
  /** CPU spent inside ticks (the view's work, on any thread), µs */
  cpu_user_us: number;
  cpu_sys_us: number;
  /** CPU the view's own threads spent outside its ticks (the events reader thread), µs */
  cpu_reader_us: number;
  /** all the view's CPU: user + sys + reader */
  cpu_us: number;
  /** the whole process over the window, idle runtime included, µs */
  process_cpu_us: number;
  /** wall time inside ticks, µs */
  tick_wall_us: number;
  /** read(2)/write(2)-family syscalls of the process over the window (/proc/self/io) */
  syscr: number;
  syscw: number;
  voluntary_ctx_switches: number;
  involuntary_ctx_switches: number;
  max_rss_kb: number;
  heap_used_kb: number;
}

function procIo(): { syscr: number; syscw: number } {
  try {
    const t = fs.readFileSync('/proc/self/io', 'utf8');
    const get = (k: string): number => Number(new RegExp(`^${k}: (\\d+)`, 'm').exec(t)?.[1] ?? 0);
    return { syscr: get('syscr'), syscw: get('syscw') };
  } catch {
    return { syscr: 0, syscw: 0 };
  }
}

/** Accumulates tick costs between begin() and end(), plus what `background`
 * (cumulative µs) says the view's own threads spent outside its ticks. */
export class CostMeter {
  private user = 0;
  private sys = 0;
  private wall = 0;
  private cpu0 = process.cpuUsage();
  private io0 = procIo();
  private ru0 = process.resourceUsage();

  private bg0 = 0;

  constructor(private readonly background?: () => number) {}

  /** Starts the window (after start-up, so loading code is not counted). */
  begin(): void {
    this.cpu0 = process.cpuUsage();
    this.io0 = procIo();
    this.ru0 = process.resourceUsage();
    this.bg0 = this.background?.() ?? 0;
  }

  async time<T>(fn: () => Promise<T>): Promise<T> {
    const c = process.cpuUsage();
    const t = process.hrtime.bigint();
    try {
      return await fn();
    } finally {
      const d = process.cpuUsage(c);
      this.user += d.user;
      this.sys += d.system;
      this.wall += Number(process.hrtime.bigint() - t) / 1e3;
    }
  }

  end(): Cost {
    const cpu = process.cpuUsage(this.cpu0);
    const io = procIo();
    const ru = process.resourceUsage();
    const reader = Math.round((this.background?.() ?? 0) - this.bg0);
    return {
      cpu_user_us: this.user,
      cpu_sys_us: this.sys,
      cpu_reader_us: reader,
      cpu_us: this.user + this.sys + reader,
      process_cpu_us: cpu.user + cpu.system,
      tick_wall_us: Math.round(this.wall),
      syscr: io.syscr - this.io0.syscr,
      syscw: io.syscw - this.io0.syscw,
      voluntary_ctx_switches: ru.voluntaryContextSwitches - this.ru0.voluntaryContextSwitches,
      involuntary_ctx_switches: ru.involuntaryContextSwitches - this.ru0.involuntaryContextSwitches,
      max_rss_kb: ru.maxRSS,
      heap_used_kb: Math.round(process.memoryUsage().heapUsed / 1024),
    };
  }
}
