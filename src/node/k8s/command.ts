// `talkload k8s`: manifests for the k6-operator: a ConfigMap with the bundled scenario and a
// TestRun (k6.io/v1alpha1) with runner resources, the target in env, credentials from a Secret
// (never inlined) and remote write to the users' Prometheus with the testid tag.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunError, UsageError, makeDirs, parseDuration, parseLimited, parsePositiveNumber, printedHelp } from '../common/usage.ts';
import { type CommandDecl, type OptionDecl, parseOptions, helpOf } from '../common/options.ts';
import { LIMITS } from '../../shared/limits.ts';
import { PROFILES } from '../run/plan.ts';
import { pinnedK6Version, projectRoot } from '../run/k6-binary.ts';

export const K8S_COMMAND = {
  about: `Usage: talkload k8s --parallelism N --scenario NAME --profile NAME --target URL --secret NAME [options]

Writes a ConfigMap (the bundled scenario) and a k6-operator TestRun to stdout, or to files in --out.`,
  column: 24,
  options: {
    parallelism: { type: 'string', arg: 'N', required: 'runner pods, 1 or more', help: 'runner pods; the operator splits the load with k6 execution segments' },
    scenario: { type: 'string', arg: 'NAME', default: 'guest-call', help: 'bundle in dist/k6 (guest-call)' },
    profile: { type: 'string', arg: 'NAME', default: 'load', help: 'smoke | load | stress | soak | spike | breakpoint' },
    target: { type: 'string', arg: 'URL', required: '', help: 'the Nextcloud the runners load' },
    secret: { type: 'string', arg: 'NAME', required: ': a Secret with keys "user" and "password" (credentials are never inlined)', help: 'Secret with keys "user" and "password" (an app password); never inlined' },
    guests: { type: 'string', flag: '--guests N, --call-size N, --join-rate R, --duration D, --stay D', default: '100', help: 'the load, as for talkload run' },
    'call-size': { type: 'string', default: '5', shownWith: 'guests' },
    'join-rate': { type: 'string', default: '5', shownWith: 'guests' },
    duration: { type: 'string', default: '10m', shownWith: 'guests' },
    stay: { type: 'string', default: '60s', shownWith: 'guests' },
    prometheus: { type: 'string', arg: 'URL', help: 'remote write to this Prometheus (native histograms, testid tag)' },
    'run-id': { type: 'string', arg: 'ID', help: 'testid tag and name suffix (default: time-based)' },
    namespace: { type: 'string', arg: 'NS', help: 'metadata.namespace' },
    image: { type: 'string', arg: 'IMAGE', help: 'runner image (default grafana/k6:<pinned version without v>)' },
    cpu: { type: 'string', flag: '--cpu Q, --memory Q', default: '2', help: 'runner limits (default 2, 4Gi)' },
    memory: { type: 'string', default: '4Gi', shownWith: 'cpu' },
    out: { type: 'string', arg: 'DIR', help: 'write configmap.yaml and testrun.yaml there instead of stdout' },
  },
} as const satisfies CommandDecl<Record<string, OptionDecl>>;

type Yaml = string | number | boolean | null | Yaml[] | { [k: string]: Yaml };

/** A small YAML emitter for plain manifests; multi-line strings become literal blocks. */
export function toYaml(v: Yaml, indent = ''): string {
  if (Array.isArray(v)) {
    if (v.length === 0) return ' []';
    return v.map((x) => `\n${indent}- ${toYaml(x, indent + '  ').replace(/^\n\s*/, '')}`).join('');
  }
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v);
    if (entries.length === 0) return ' {}';
    return entries.map(([k, x]) => `\n${indent}${k}:${toYaml(x, indent + '  ')}`).join('');
  }
  if (typeof v === 'string') {
    if (v.includes('\n')) return ` |-\n${v.split('\n').map((l) => (l === '' ? '' : indent + l)).join('\n')}`;
    return ` ${JSON.stringify(v)}`;
  }
  return ` ${v === null ? 'null' : String(v)}`;
}

export const doc = (v: Yaml): string => toYaml(v).replace(/^\n/, '') + '\n';

const QUANTITY = /^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE])?$/;

export interface Manifests {
  readonly configMap: { [k: string]: Yaml };
  readonly testRun: { [k: string]: Yaml };
}

export function manifests(argv: string[], root = projectRoot()): { m: Manifests; out: string | null } {
  const { values } = parseOptions(argv, K8S_COMMAND);
  const parallelism = parsePositiveNumber(values.parallelism, '--parallelism', { integer: true, min: 1 });
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(values.secret)) throw new UsageError(`--secret "${values.secret}" is not a Kubernetes object name`);
  let target: string;
  try {
    const u = new URL(values.target);
    if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.username || u.password) throw new Error();
    target = u.origin + u.pathname.replace(/\/+$/, '');
  } catch {
    throw new UsageError(`--target "${values.target}" is not an http(s) URL without credentials`);
  }
  const profile = values.profile;
  if (!(PROFILES as readonly string[]).includes(profile)) throw new UsageError(`unknown profile "${profile}" (${PROFILES.join(', ')})`);
  const scenario = values.scenario;
  const bundle = join(root, 'dist', 'k6', `${scenario}.js`);
  if (!existsSync(bundle)) throw new UsageError(`unknown scenario "${scenario}" (no dist/k6/${scenario}.js; run npm run build)`);
  for (const [flag, q] of [['--cpu', values.cpu], ['--memory', values.memory]] as const) {
    if (!QUANTITY.test(q)) throw new UsageError(`${flag} "${q}" is not a Kubernetes quantity (like 2, 500m, 4Gi)`);
  }
  const guests = parseLimited(values.guests, '--guests', LIMITS.guests);
  const callSize = parseLimited(values['call-size'], '--call-size', LIMITS.callSize);
  const joinRate = parseLimited(values['join-rate'], '--join-rate', LIMITS.joinRate);
  const duration = parseDuration(values.duration);
  const stay = parseDuration(values.stay, '--stay');
  const runId = values['run-id'] ?? `k8s-${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}`;
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(runId) || runId.length > 40) throw new UsageError(`--run-id "${runId}" must be lower-case letters, digits and '-' (at most 40)`);
  let prometheus: string | null = null;
  if (values.prometheus !== undefined) {
    let url: URL | null = null;
    try {
      url = new URL(values.prometheus);
    } catch {
      url = null;
    }
    // "foo:bar" parses as a URL of scheme foo: with an origin of "null".
    if (!url || !/^https?:$/.test(url.protocol) || url.hostname === '') {
      throw new UsageError(`--prometheus "${values.prometheus}" is not an http(s) URL like http://prometheus.monitoring:9090`);
    }
    prometheus = url.origin;
  }
  // A namespace is a DNS label (RFC 1123): kubectl would refuse the manifests later, less clearly.
  if (values.namespace !== undefined && (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(values.namespace) || values.namespace.length > 63)) {
    throw new UsageError(`--namespace "${values.namespace}" is not a Kubernetes namespace (a DNS label: lower-case letters, digits and '-', at most 63, starting and ending with a letter or digit)`);
  }
  const name = `talkload-${scenario}-${runId}`.slice(0, 63).replace(/-+$/, '');
  const labels = { 'app.kubernetes.io/name': 'talkload', 'talkload/testid': runId };
  const meta = (n: string): { [k: string]: Yaml } => ({ name: n, ...(values.namespace ? { namespace: values.namespace } : {}), labels });
  const file = `${scenario}.js`;
  const env: Yaml[] = [
    { name: 'TALK_TARGET', value: target },
    { name: 'TALK_USER', valueFrom: { secretKeyRef: { name: values.secret, key: 'user' } } },
    { name: 'TALK_PASSWORD', valueFrom: { secretKeyRef: { name: values.secret, key: 'password' } } },
    { name: 'TALK_RUN_ID', value: runId },
    { name: 'TALK_PROFILE', value: profile },
    { name: 'TALK_GUESTS', value: String(guests) },
    { name: 'TALK_CALL_SIZE', value: String(callSize) },
    { name: 'TALK_JOIN_RATE', value: String(joinRate) },
    { name: 'TALK_DURATION', value: `${duration}s` },
    { name: 'TALK_STAY', value: `${stay}s` },
    ...(prometheus
      ? [
          { name: 'K6_PROMETHEUS_RW_SERVER_URL', value: `${prometheus}/api/v1/write` },
          { name: 'K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM', value: 'true' },
        ]
      : []),
  ];
  const args = [`--tag testid=${runId}`, ...(prometheus ? ['--out experimental-prometheus-rw'] : [])].join(' ');
  const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(name), data: { [file]: readFileSync(bundle, 'utf8').trimEnd() } };
  const testRun = {
    apiVersion: 'k6.io/v1alpha1',
    kind: 'TestRun',
    metadata: meta(name),
    spec: {
      parallelism,
      script: { configMap: { name, file } },
      arguments: args,
      separate: false,
      cleanup: 'post' as const,
      runner: {
        image: values.image ?? `grafana/k6:${pinnedK6Version(root).slice(1)}`,
        metadata: { labels },
        env,
        resources: { limits: { cpu: values.cpu, memory: values.memory }, requests: { cpu: values.cpu, memory: values.memory } },
      },
    },
  };
  return { m: { configMap, testRun }, out: values.out ?? null };
}

export async function k8sCommand(argv: string[]): Promise<number> {
  if (printedHelp(argv, helpOf(K8S_COMMAND))) return 0;
  const { m, out } = manifests(argv);
  const cm = doc(m.configMap);
  const tr = doc(m.testRun);
  if (out === null) {
    process.stdout.write(`${cm}---\n${tr}`);
    return 0;
  }
  try {
    makeDirs(out, '--out', 'manifests folder');
    writeFileSync(join(out, 'configmap.yaml'), cm);
    writeFileSync(join(out, 'testrun.yaml'), tr);
  } catch (e) {
    throw new RunError(`cannot write manifests to ${out}: ${(e as Error).message}`);
  }
  process.stderr.write(`talkload k8s: wrote ${join(out, 'configmap.yaml')} and ${join(out, 'testrun.yaml')}; apply with kubectl apply -f ${out}\n`);
  return 0;
}
