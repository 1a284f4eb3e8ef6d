/**
 * Preloaded into an app process by a test (`NODE_OPTIONS=--require <this file>`) with
 * `TEST_REDIRECT_PORT=<from>:<to>`: every TCP connection the process opens to 127.0.0.1:<from>
 * goes to 127.0.0.1:<to> instead. A Kafka client connects to the address the broker advertises,
 * not only to its bootstrap address; this puts every one of its connections behind the test's
 * TcpProxy, so that cutting the proxy really cuts the broker off.
 */
'use strict';
const net = require('node:net');

const [from, to] = (process.env.TEST_REDIRECT_PORT ?? '').split(':').map(Number);
const LOOPBACK = new Set([undefined, '127.0.0.1', 'localhost']);

/** The options object with the port swapped when it is the redirected one, else the same object. */
function redirect(options) {
  if (Number(options.port) === from && LOOPBACK.has(options.host)) return { ...options, port: to };
  return options;
}

if (from > 0 && to > 0) {
  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function redirected(...args) {
    const [first] = args;
    if (Array.isArray(first)) {
      // net.connect() passes its normalised [options, callback] array (tagged by Node) as is.
      if (first[0] && typeof first[0] === 'object') first[0] = redirect(first[0]);
    } else if (first && typeof first === 'object') {
      args[0] = redirect(first);
    } else if (
      Number(first) === from &&
      LOOPBACK.has(typeof args[1] === 'string' ? args[1] : undefined)
    ) {
      args[0] = to;
    }
    return connect.apply(this, args);
  };
}
