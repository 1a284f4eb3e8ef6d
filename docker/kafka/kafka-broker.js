#!/usr/bin/env node
/**
 * A real single-node Apache Kafka broker (KRaft) for tests and benchmarks on machines without
 * Docker: Kafka 4.4 by default, another version with TEST_KAFKA_VERSION (e.g. 3.9.1). The jars
 * come from Maven Central through docker/kafka/pom.xml and are cached under
 * .cache/kafka-jars/<version>; each broker gets fresh ports and a fresh temp dir.
 *
 * With `saslSsl` it also generates, in its temp dir, a CA and a broker certificate and opens a
 * SASL_SSL listener (SCRAM-SHA-512 and SCRAM-SHA-256, credentials created at format time) and an
 * SSL listener that requires a client certificate (mutual TLS); PLAINTEXT stays for the ready
 * check and inter-broker traffic.
 *
 *   node docker/kafka/kafka-broker.js start [--port 9092] [--sasl-ssl]   prints the addresses, runs until Ctrl-C
 *   node docker/kafka/kafka-broker.js fetch                             only fetches the jars
 *
 * Plain CommonJS so it runs without a build, from jest's globalSetup and from the benchmarks.
 */
'use strict';

const { spawn, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const KAFKA_VERSION = process.env.TEST_KAFKA_VERSION?.trim() || '4.4.0';
if (!/^[0-9]+\.[0-9]+\.[0-9]+$/.test(KAFKA_VERSION)) {
  throw new Error(
    `TEST_KAFKA_VERSION=${JSON.stringify(KAFKA_VERSION)}: expected a version like 4.4.0 or 3.9.1`,
  );
}
/** Kafka 3 logs through log4j 1 (reload4j), Kafka 4 through log4j2: different jars and config. */
const LOG4J2 = Number(KAFKA_VERSION.split('.')[0]) >= 4;
const REPO_ROOT = path.resolve(__dirname, '..', '..');
const POM = path.join(__dirname, 'pom.xml');
const JARS_DIR = path.join(REPO_ROOT, '.cache', 'kafka-jars', KAFKA_VERSION);
const MARKER = path.join(JARS_DIR, '.complete');
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;
const HOST = '127.0.0.1';

/** Throws at once, naming the missing tool and how to install it, when `cmd` cannot run. */
function requireTool(cmd, args, pkg) {
  const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 30_000 });
  if (r.error || r.status !== 0) {
    throw new Error(
      `Kafka for tests needs \`${cmd}\` (${r.error ? r.error.code : `exit ${r.status}`} running ` +
        `\`${cmd} ${args.join(' ')}\`). Install it, e.g. \`apt-get install ${pkg}\`, ` +
        'or point TEST_KAFKA_BROKERS at a running broker.',
    );
  }
}

/** Returns the jar folder, fetching the jars with Maven first when the cache is not complete. */
async function ensureJars() {
  requireTool('java', ['-version'], 'openjdk-17-jre-headless');
  if (fs.existsSync(MARKER)) return JARS_DIR;
  requireTool('mvn', ['-v'], 'maven');
  // Fetch into a private folder and rename, so two runs fetching at once never see half a cache.
  const staging = `${JARS_DIR}.tmp-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  const args = [
    '-B',
    '-q',
    '-f',
    POM,
    'dependency:copy-dependencies',
    `-Djars.dir=${staging}`,
    `-Dkafka.version=${KAFKA_VERSION}`,
    ...(LOG4J2 ? [] : ['-Dkafka3']),
  ];
  const { code, output } = await run('mvn', args);
  if (code !== 0) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw new Error(`mvn ${args.join(' ')} failed (exit ${code}):\n${tail(output, 30)}`);
  }
  fs.writeFileSync(path.join(staging, '.complete'), `${new Date().toISOString()}\n`);
  fs.rmSync(JARS_DIR, { recursive: true, force: true });
  try {
    fs.renameSync(staging, JARS_DIR);
  } catch (e) {
    fs.rmSync(staging, { recursive: true, force: true });
    if (!fs.existsSync(MARKER)) throw e; // someone else finished first; their copy is fine
  }
  return JARS_DIR;
}

/** Runs a command to completion, collecting stdout and stderr together. */
function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** Reserves `count` distinct free ports on 127.0.0.1 (held open together so they differ). */
async function freePorts(count) {
  const servers = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      servers.push(server);
      await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, HOST, resolve);
      });
    }
    return servers.map((s) => s.address().port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(() => r()))));
  }
}

/** A cluster id in Kafka's format: 16 random bytes, base64url without padding. */
function clusterId() {
  // Kafka's own generator avoids a leading '-', which the CLI parser would read as an option.
  for (;;) {
    const id = crypto.randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function tail(text, lines) {
  return String(text).trimEnd().split('\n').slice(-lines).join('\n');
}

function readTail(file, lines) {
  try {
    return tail(fs.readFileSync(file, 'utf8'), lines);
  } catch {
    return '';
  }
}

/** The first ERROR/FATAL lines of a broker log, each with the exception line after it. */
function errorLines(file, max) {
  let lines;
  try {
    lines = fs.readFileSync(file, 'utf8').split('\n');
  } catch {
    return '';
  }
  const picked = [];
  for (let i = 0; i < lines.length && picked.length < max * 2; i++) {
    if (!/^\[[^\]]+\] (ERROR|FATAL) /.test(lines[i])) continue;
    picked.push(lines[i]);
    if (lines[i + 1] && !lines[i + 1].startsWith('[')) picked.push(`  ${lines[i + 1].trim()}`);
  }
  return picked.join('\n');
}

function fileSize(file) {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/**
 * True once the broker has logged, after byte `from` (this launch's part of an appended log),
 * that it gives up; the JVM may take many seconds to exit after that.
 */
function loggedFatal(file, from) {
  try {
    const text = fs.readFileSync(file).subarray(from).toString('utf8');
    return text.includes('Exiting Kafka due to fatal exception');
  } catch {
    return false;
  }
}

/** Runs openssl, throwing with its output when it fails. */
function openssl(args, cwd) {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8', timeout: 30_000 });
  if (r.error || r.status !== 0) {
    throw new Error(`openssl ${args.join(' ')} failed: ${r.error ? r.error.message : r.stderr}`);
  }
}

/**
 * Generates a self-signed CA in `dir` (`<name>.pem` and `<name>.key`), valid for two days.
 * Tests make a second one to present a certificate that the client does not trust.
 */
function createCertificateAuthority(dir, name = 'ca') {
  requireTool('openssl', ['version'], 'openssl');
  fs.mkdirSync(dir, { recursive: true });
  const certFile = path.join(dir, `${name}.pem`);
  const keyFile = path.join(dir, `${name}.key`);
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '2',
      '-subj',
      `/CN=event-pipeline test ${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  return { certFile, keyFile };
}

/**
 * Issues a certificate signed by `ca` for 127.0.0.1 and localhost (server and client use), as
 * `<name>.pem` and an unencrypted PKCS#8 `<name>.key`.
 */
function issueCertificate(ca, dir, name) {
  const certFile = path.join(dir, `${name}.pem`);
  const keyFile = path.join(dir, `${name}.key`);
  const csr = path.join(dir, `${name}.csr`);
  const ext = path.join(dir, `${name}.ext`);
  fs.writeFileSync(
    ext,
    'basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n' +
      'keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n',
  );
  openssl(
    [
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      csr,
      '-subj',
      `/CN=${name}`,
    ],
    dir,
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      ca.certFile,
      '-CAkey',
      ca.keyFile,
      '-CAcreateserial',
      '-out',
      certFile,
      '-days',
      '2',
      '-extfile',
      ext,
    ],
    dir,
  );
  return { certFile, keyFile };
}

/**
 * The CA, the broker's PEM keystore (key and certificate in one file, which Kafka reads with
 * ssl.keystore.type=PEM, no JKS needed), a client certificate for mutual TLS and the SCRAM user.
 */
function createSecurityMaterial(dir) {
  const tlsDir = path.join(dir, 'tls');
  const ca = createCertificateAuthority(tlsDir, 'ca');
  const broker = issueCertificate(ca, tlsDir, 'broker');
  const client = issueCertificate(ca, tlsDir, 'client');
  const keystore = path.join(tlsDir, 'broker-keystore.pem');
  fs.writeFileSync(
    keystore,
    fs.readFileSync(broker.keyFile, 'utf8') + fs.readFileSync(broker.certFile, 'utf8'),
  );
  return {
    caFile: ca.certFile,
    keystore,
    client,
    username: 'app',
    password: crypto.randomBytes(12).toString('base64url'),
  };
}

function writeConfig(dir, logDir, ports, security) {
  const { port, controllerPort, saslSslPort, mtlsPort } = ports;
  const listeners = [`PLAINTEXT://${HOST}:${port}`];
  const protocols = ['PLAINTEXT:PLAINTEXT', 'CONTROLLER:PLAINTEXT'];
  const tls = {};
  if (security) {
    listeners.push(`SASL_SSL://${HOST}:${saslSslPort}`, `MTLS://${HOST}:${mtlsPort}`);
    protocols.push('SASL_SSL:SASL_SSL', 'MTLS:SSL');
    for (const listener of ['sasl_ssl', 'mtls']) {
      tls[`listener.name.${listener}.ssl.keystore.type`] = 'PEM';
      tls[`listener.name.${listener}.ssl.keystore.location`] = security.keystore;
      tls[`listener.name.${listener}.ssl.truststore.type`] = 'PEM';
      tls[`listener.name.${listener}.ssl.truststore.location`] = security.caFile;
    }
    tls['listener.name.mtls.ssl.client.auth'] = 'required';
    tls['sasl.enabled.mechanisms'] = 'SCRAM-SHA-512,SCRAM-SHA-256';
    for (const mechanism of ['scram-sha-512', 'scram-sha-256']) {
      tls[`listener.name.sasl_ssl.${mechanism}.sasl.jaas.config`] =
        'org.apache.kafka.common.security.scram.ScramLoginModule required;';
    }
  }
  const props = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@${HOST}:${controllerPort}`,
    listeners: `${listeners.join(',')},CONTROLLER://${HOST}:${controllerPort}`,
    'advertised.listeners': listeners.join(','),
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': protocols.join(','),
    ...tls,
    'log.dirs': path.join(dir, 'data'),
    'offsets.topic.replication.factor': 1,
    // 50 partitions (the default) make the first consumer group wait for all of them to load.
    'offsets.topic.num.partitions': 4,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'transaction.state.log.num.partitions': 4,
    'num.partitions': 3,
    'auto.create.topics.enable': true,
    'delete.topic.enable': true,
    'group.initial.rebalance.delay.ms': 0,
    // After a SIGKILL the restarted broker may only register once the old incarnation's session
    // expires (default 9 s); a short session makes outage tests restart in a few seconds.
    'broker.session.timeout.ms': 3000,
    'broker.heartbeat.interval.ms': 500,
    // Two cores: fewer threads than the defaults keep the broker from crowding out the tests.
    'num.network.threads': 2,
    'num.io.threads': 4,
    'num.recovery.threads.per.data.dir': 1,
    'log.cleaner.threads': 1,
    'log.cleaner.dedupe.buffer.size': 8 * 1024 * 1024,
  };
  const serverProps = path.join(dir, 'server.properties');
  fs.writeFileSync(
    serverProps,
    Object.entries(props)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') + '\n',
  );
  const log4j = path.join(dir, LOG4J2 ? 'log4j2.properties' : 'log4j.properties');
  fs.writeFileSync(log4j, LOG4J2 ? log4j2Config(logDir) : log4jConfig(logDir));
  return { serverProps, log4j };
}

/** Kafka 4's log4j2 configuration: the same file, pattern and levels as log4jConfig. */
function log4j2Config(logDir) {
  return [
    'status = warn',
    'appender.file.type = File',
    'appender.file.name = file',
    `appender.file.fileName = ${path.join(logDir, 'server.log')}`,
    'appender.file.layout.type = PatternLayout',
    'appender.file.layout.pattern = [%d] %p %m (%c)%n',
    'rootLogger.level = INFO',
    'rootLogger.appenderRef.file.ref = file',
    // The request logger and state-change logger are chatty at INFO and say nothing useful here.
    'logger.request.name = kafka.request.logger',
    'logger.request.level = WARN',
    'logger.state.name = state.change.logger',
    'logger.state.level = WARN',
    '',
  ].join('\n');
}

/** Kafka 3's log4j 1 configuration. */
function log4jConfig(logDir) {
  return [
    'log4j.rootLogger=INFO, file',
    'log4j.appender.file=org.apache.log4j.FileAppender',
    `log4j.appender.file.File=${path.join(logDir, 'server.log')}`,
    'log4j.appender.file.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n',
    'log4j.logger.kafka=INFO',
    'log4j.logger.org.apache.kafka=INFO',
    // The request logger and state-change logger are chatty at INFO and say nothing useful here.
    'log4j.logger.kafka.request.logger=WARN',
    'log4j.logger.state.change.logger=WARN',
    '',
  ].join('\n');
}

/** The JVM flag that points the broker's logging at `file`. */
function logConfigFlag(file) {
  return LOG4J2 ? `-Dlog4j2.configurationFile=file:${file}` : `-Dlog4j.configuration=file:${file}`;
}

/**
 * Keeps the JVM from outliving its owner: a detached Node process that SIGKILLs the broker and
 * removes its temp dir when the owner dies, even by SIGKILL (when 'exit' handlers never run).
 */
function spawnWatchdog(ownerPid, javaPid, removeDir) {
  const code = `
    const [owner, java, dir] = [+process.argv[1], +process.argv[2], process.argv[3]];
    const alive = (p) => { try { process.kill(p, 0); return true; } catch { return false; } };
    setInterval(() => {
      if (!alive(java)) process.exit(0);
      if (!alive(owner)) {
        try { process.kill(java, 'SIGKILL'); } catch {}
        setTimeout(() => {
          if (dir) try { require('fs').rmSync(dir, { recursive: true, force: true }); } catch {}
          process.exit(0);
        }, 500);
      }
    }, 1000);`;
  const w = spawn(
    process.execPath,
    ['-e', code, String(ownerPid), String(javaPid), removeDir || ''],
    {
      detached: true,
      stdio: 'ignore',
    },
  );
  w.unref();
  return w;
}

/** Polls the broker with kafkajs until it answers metadata requests, the child dies or time is up. */
async function waitUntilReady(brokers, child, serverLog, logStart, deadline, describeFailure) {
  const { Kafka, logLevel } = require('kafkajs');
  const kafka = new Kafka({
    clientId: 'kafka-broker-ready-check',
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    // Short, so a port that accepts but never answers cannot stall the loop for kafkajs' 30 s.
    requestTimeout: 2000,
    retry: { retries: 0 },
  });
  let lastError;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        describeFailure(`exited early (${child.exitCode ?? child.signalCode}) before it was ready`),
      );
    }
    const admin = kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length > 0) return;
    } catch (e) {
      lastError = e;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    if (loggedFatal(serverLog, logStart)) throw new Error(describeFailure('failed to start'));
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    describeFailure(
      `did not answer within ${READY_TIMEOUT_MS / 1000} s` +
        (lastError ? ` (last error: ${lastError.message})` : ''),
    ),
  );
}

function exited(child) {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Sends `signal`, escalating to SIGKILL after `timeoutMs`, and resolves once the child is gone. */
function terminate(child, signal, timeoutMs) {
  if (exited(child)) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

/** Starts of one broker tried before giving up on ports taken by other processes. */
const PORT_RACE_ATTEMPTS = 3;

/**
 * Whether `error` is a start that lost one of its picked ports: the ports are free when picked
 * but bound only once the JVM runs, seconds later, and another process (a parallel test, an app)
 * may take one in between. Not when the port taken is the caller's fixed `port`: trying again
 * cannot help then.
 *
 * @param {unknown} error
 * @param {number} [fixedPort]
 */
function lostPortRace(error, fixedPort) {
  const bound = /failed to bind to [^\s:]+:(\d+): Address already in use/.exec(
    String(error && error.message),
  );
  return bound !== null && Number(bound[1]) !== fixedPort;
}

/**
 * Starts a fresh single-node broker and resolves once it answers. A start that lost one of its
 * picked ports to another process is made again with new ones (see lostPortRace).
 *
 * @param {object} [options]
 * @param {string} [options.logDir] where the broker writes server.log and kafka.out; kept after
 *   stop() (default: inside the temp dir, which stop() deletes)
 * @param {number} [options.port] PLAINTEXT port (default: a free one)
 * @param {number} [options.heapMb] JVM max heap (default 512)
 * @param {boolean} [options.saslSsl] also open a SASL_SSL (SCRAM) and a mutual-TLS listener with
 *   generated certificates; the handle's `saslSsl` and `mtls` tell how to connect
 * @returns {Promise<KafkaHandle>}
 */
async function startKafka(options = {}) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startKafkaOnce(options);
    } catch (error) {
      if (attempt >= PORT_RACE_ATTEMPTS || !lostPortRace(error, options.port)) throw error;
    }
  }
}

/** One start of {@link startKafka}, on ports picked now. */
async function startKafkaOnce(options) {
  const started = Date.now();
  const jars = await ensureJars();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ep-kafka-'));
  let child;
  let watchdog;
  let stopped = false;
  // If the owner exits without stop() (a failed jest setup, Ctrl-C), take the broker along.
  const cleanUpOnExit = () => {
    if (child && !exited(child)) child.kill('SIGKILL');
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // the JVM may still be writing; the watchdog retries after it is gone
    }
  };
  process.on('exit', cleanUpOnExit);
  const discard = () => {
    process.removeListener('exit', cleanUpOnExit);
    fs.rmSync(dir, { recursive: true, force: true });
  };

  const logDir = options.logDir ? path.resolve(options.logDir) : dir;
  fs.mkdirSync(logDir, { recursive: true });
  const [freePort, controllerPort, saslSslPort, mtlsPort] = await freePorts(4);
  const port = options.port || freePort;
  const brokers = `${HOST}:${port}`;
  let security;
  try {
    security = options.saslSsl ? createSecurityMaterial(dir) : undefined;
  } catch (e) {
    discard();
    throw e;
  }
  const ports = { port, controllerPort, saslSslPort, mtlsPort };
  const { serverProps, log4j } = writeConfig(dir, logDir, ports, security);
  const serverLog = path.join(logDir, 'server.log');
  const outLog = path.join(logDir, 'kafka.out');
  const classpath = `${jars}${path.sep}*`;
  const describeFailure = (what) =>
    `Kafka ${KAFKA_VERSION} at ${brokers} ${what}.` +
    (options.logDir ? ` Logs in ${logDir}.` : ' (Pass logDir to keep the whole log.)') +
    '\n' +
    `--- errors in server.log ---\n${errorLines(serverLog, 5) || '(none)'}\n` +
    `--- end of server.log ---\n${readTail(serverLog, 15)}\n` +
    `--- kafka.out (JVM output) ---\n${readTail(outLog, 15) || '(empty)'}`;

  const scram = security
    ? ['SCRAM-SHA-512', 'SCRAM-SHA-256'].flatMap((m) => [
        '--add-scram',
        `${m}=[name=${security.username},password=${security.password}]`,
      ])
    : [];
  const format = await run('java', [
    '-cp',
    classpath,
    logConfigFlag(log4j),
    'kafka.tools.StorageTool',
    'format',
    '-t',
    clusterId(),
    '-c',
    serverProps,
    ...scram,
  ]);
  if (format.code !== 0) {
    discard();
    throw new Error(
      `Formatting the Kafka log dir failed (exit ${format.code}):\n${tail(format.output, 30)}`,
    );
  }

  async function launch() {
    const logStart = fileSize(serverLog);
    const out = fs.openSync(outLog, 'a');
    child = spawn(
      'java',
      [
        `-Xms256m`,
        `-Xmx${options.heapMb || 512}m`,
        '-XX:+ExitOnOutOfMemoryError',
        '-Djava.awt.headless=true',
        '-cp',
        classpath,
        logConfigFlag(log4j),
        'kafka.Kafka',
        serverProps,
      ],
      { stdio: ['ignore', out, out] },
    );
    fs.closeSync(out);
    await new Promise((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    watchdog = spawnWatchdog(process.pid, child.pid, dir);
    try {
      await waitUntilReady(
        brokers,
        child,
        serverLog,
        logStart,
        Date.now() + READY_TIMEOUT_MS,
        describeFailure,
      );
    } catch (e) {
      await terminate(child, 'SIGKILL', 0);
      throw e;
    }
  }

  try {
    await launch();
  } catch (e) {
    discard();
    throw e;
  }

  /** @typedef {object} KafkaHandle */
  const handle = {
    /** Bootstrap address, `127.0.0.1:<port>` (PLAINTEXT). */
    brokers,
    port,
    /** The broker's Kafka version. */
    version: KAFKA_VERSION,
    /** With `saslSsl`: the SASL_SSL listener, its CA and a SCRAM user (SHA-512 and SHA-256). */
    saslSsl: security && {
      brokers: `${HOST}:${saslSslPort}`,
      caFile: security.caFile,
      username: security.username,
      password: security.password,
    },
    /** With `saslSsl`: the SSL listener that requires a client certificate signed by the CA. */
    mtls: security && {
      brokers: `${HOST}:${mtlsPort}`,
      caFile: security.caFile,
      certFile: security.client.certFile,
      keyFile: security.client.keyFile,
    },
    /** The temp dir holding config and data (and logs unless `logDir` was given). */
    dir,
    logDir,
    /** Milliseconds the first start took, jar check included. */
    startupMs: Date.now() - started,
    /** PID of the current JVM (changes after restart()). */
    get pid() {
      return child.pid;
    },
    /** Kills the broker (SIGKILL by default), keeping its data so restart() resumes it. */
    async kill(signal = 'SIGKILL') {
      await terminate(child, signal, STOP_TIMEOUT_MS);
    },
    /** Starts the broker again on the same ports and data and resolves once it answers. */
    async restart() {
      if (stopped) throw new Error('restart() after stop(): the Kafka data dir is gone');
      await terminate(child, 'SIGTERM', STOP_TIMEOUT_MS);
      await launch();
    },
    /** SIGTERM, SIGKILL after 10 s, then deletes the temp dir. Safe to call twice. */
    async stop() {
      if (stopped) return;
      stopped = true;
      await terminate(child, 'SIGTERM', STOP_TIMEOUT_MS);
      if (watchdog && !exited(watchdog)) watchdog.kill('SIGKILL');
      discard();
    },
  };
  return handle;
}

async function main(argv) {
  const [command = 'start', ...rest] = argv;
  if (command === 'fetch') {
    console.log(`Kafka ${KAFKA_VERSION} jars in ${await ensureJars()}`);
    return;
  }
  if (command !== 'start') {
    console.error(
      'usage: node docker/kafka/kafka-broker.js [start [--port N] [--log-dir DIR] [--sasl-ssl] | fetch]',
    );
    process.exitCode = 2;
    return;
  }
  const opt = (name) => {
    const i = rest.indexOf(name);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  const kafka = await startKafka({
    port: Number(opt('--port')) || undefined,
    logDir: opt('--log-dir'),
    saslSsl: rest.includes('--sasl-ssl'),
  });
  console.log(`Kafka ${KAFKA_VERSION} ready in ${(kafka.startupMs / 1000).toFixed(1)} s`);
  console.log(`KAFKA_BROKERS=${kafka.brokers}`);
  if (kafka.saslSsl) {
    const { saslSsl, mtls } = kafka;
    console.log(
      `SASL_SSL: KAFKA_BROKERS=${saslSsl.brokers} KAFKA_SSL=true KAFKA_SSL_CA_FILE=${saslSsl.caFile} ` +
        `KAFKA_SASL_MECHANISM=scram-sha-512 KAFKA_SASL_USERNAME=${saslSsl.username} KAFKA_SASL_PASSWORD=${saslSsl.password}`,
    );
    console.log(
      `mutual TLS: KAFKA_BROKERS=${mtls.brokers} KAFKA_SSL=true KAFKA_SSL_CA_FILE=${mtls.caFile} ` +
        `KAFKA_SSL_CERT_FILE=${mtls.certFile} KAFKA_SSL_KEY_FILE=${mtls.keyFile}`,
    );
  }
  console.log(`logs: ${path.join(kafka.logDir, 'server.log')}   (Ctrl-C stops and deletes it)`);
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    kafka.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

module.exports = {
  startKafka,
  lostPortRace,
  ensureJars,
  createCertificateAuthority,
  issueCertificate,
  KAFKA_VERSION,
  JARS_DIR,
};

if (require.main === module) {
  main(process.argv.slice(2)).catch((e) => {
    console.error(e.message);
    process.exit(1);
  });
}
