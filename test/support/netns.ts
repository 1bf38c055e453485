import { execFile } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A network namespace joined to this machine by a veth pair: a browser started in
 * it (`chromiumInside`) reaches Lectern only across the pair, so the test can shape
 * that path (`tc`) or cut it (`iptables` inside the namespace) as a real network
 * would, while the rest of the machine is untouched. Needs root, iproute2 and
 * iptables (scripts/setup.sh --test installs them). Addresses are a /30 from
 * 10.200.0.0/13 that no interface here uses; they exist only inside this machine.
 */
export class NetNamespace {
  private constructor(
    readonly name: string,
    /** The veth end on this machine's side, and its address: where Lectern listens for the namespace. */
    readonly hostInterface: string,
    readonly hostAddress: string,
    readonly innerAddress: string,
    private readonly dir: string,
  ) {}

  static async create(): Promise<NetNamespace> {
    const tag = randomBytes(3).toString('hex');
    const name = `lectern-${tag}`;
    // Interface names have 15 characters at most.
    const hostIf = `lc${tag}h`;
    const innerIf = `lc${tag}n`;
    const used = (await run('ip', ['-4', '-o', 'addr', 'show'])).stdout;
    let subnet: string;
    do subnet = `10.${200 + randomInt(8)}.${randomInt(256)}.${4 * randomInt(64)}`;
    while (used.includes(` ${subnet.split('.').slice(0, 3).join('.')}.`));
    const base = subnet.split('.').map(Number);
    const hostAddress = `${base[0]}.${base[1]}.${base[2]}.${base[3]! + 1}`;
    const innerAddress = `${base[0]}.${base[1]}.${base[2]}.${base[3]! + 2}`;
    const dir = await mkdtemp(path.join(tmpdir(), 'lectern-netns-'));
    const ns = new NetNamespace(name, hostIf, hostAddress, innerAddress, dir);
    try {
      await run('ip', ['netns', 'add', name]);
      await run('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', innerIf]);
      await run('ip', ['link', 'set', innerIf, 'netns', name]);
      await run('ip', ['addr', 'add', `${hostAddress}/30`, 'dev', hostIf]);
      await run('ip', ['link', 'set', hostIf, 'up']);
      await ns.inside('ip', 'addr', 'add', `${innerAddress}/30`, 'dev', innerIf);
      await ns.inside('ip', 'link', 'set', innerIf, 'up');
      await ns.inside('ip', 'link', 'set', 'lo', 'up');
    } catch (err) {
      await ns.destroy();
      throw err;
    }
    return ns;
  }

  /** Runs a command inside the namespace. */
  async inside(...args: string[]): Promise<string> {
    return (await run('ip', ['netns', 'exec', this.name, ...args])).stdout;
  }

  /**
   * Limits what reaches the namespace (its downlink) with a token bucket on this
   * side of the pair: `rateKbit`, a burst of `burstBytes`, and a queue of at most
   * `latencyMs` beyond which packets are dropped, as a congested mobile link does.
   */
  async limitDownlink(rateKbit: number, opts: { burstBytes?: number; latencyMs?: number } = {}): Promise<void> {
    await run('tc', [
      'qdisc',
      'replace',
      'dev',
      this.hostInterface,
      'root',
      'tbf',
      'rate',
      `${rateKbit}kbit`,
      'burst',
      String(opts.burstBytes ?? 16_000),
      'latency',
      `${opts.latencyMs ?? 100}ms`,
    ]);
  }

  async liftDownlinkLimit(): Promise<void> {
    await run('tc', ['qdisc', 'del', 'dev', this.hostInterface, 'root']).catch(() => undefined);
  }

  /** Bytes sent into the namespace so far (its downlink), all traffic included. */
  async downlinkBytes(): Promise<number> {
    return Number(await readFile(`/sys/class/net/${this.hostInterface}/statistics/tx_bytes`, 'utf8'));
  }

  /** Drops every UDP and TCP packet to and from these ports (the media server's), inside the namespace: the media path is cut. */
  async block(ports: number[]): Promise<void> {
    for (const port of ports) {
      for (const proto of ['udp', 'tcp']) {
        await this.inside('iptables', '-I', 'OUTPUT', '-p', proto, '--dport', String(port), '-j', 'DROP');
        await this.inside('iptables', '-I', 'INPUT', '-p', proto, '--sport', String(port), '-j', 'DROP');
      }
    }
  }

  async unblock(): Promise<void> {
    await this.inside('iptables', '-F', 'OUTPUT');
    await this.inside('iptables', '-F', 'INPUT');
  }

  /** An executable that starts Debian's Chromium inside the namespace, for playwright's executablePath. */
  async chromiumInside(): Promise<string> {
    const file = path.join(this.dir, 'chromium');
    const chromium = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
    await writeFile(file, `#!/bin/sh\nexec ip netns exec ${this.name} ${chromium} "$@"\n`);
    await chmod(file, 0o755);
    return file;
  }

  /** Removes the namespace (and with it the pair and its shaping). Safe to call twice. */
  async destroy(): Promise<void> {
    await run('ip', ['link', 'del', this.hostInterface]).catch(() => undefined);
    await run('ip', ['netns', 'del', this.name]).catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
  }
}
