// Drives a marketsim server from Node.js, through nothing but protos/ and @grpc/grpc-js.
//
//     node tests/interop/client.mjs HOST:PORT
//
// Expects a fresh server listing ACME (tick 0.01, lot 1) and plays one short session on it as
// owner "node": a resting sell, a malformed order, a post-only buy that would cross, a book
// snapshot, then a crossing buy watched on StreamBook and StreamTrades. Checks what it can on
// the way, prints one JSON line of what it observed and exits 0; on any failure it prints the
// error to stderr and exits 1. Every wait has a deadline, so it never hangs.
//
// int64 and uint64 fields arrive as decimal strings (longs: String) and are printed as such:
// as JS numbers, ts_event (nanoseconds, ~1.8e18) would lose precision above 2^53.

import path from "node:path";
import { fileURLToPath } from "node:url";

import grpc from "@grpc/grpc-js";
import protoLoader from "@grpc/proto-loader";

const PROTOS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../protos");
const WAIT_MS = 10_000; // deadline of every call and of every wait for a stream message
const SESSION_MS = 60_000; // the whole run; the streams' own deadline too
const OWNER = "node";
const SYMBOL = "ACME";
const PRICE = 10050; // ticks: 100.50 at tick 0.01
const RESTING_LOTS = 10;
const CROSSING_LOTS = 4;

const watchdog = setTimeout(() => fail(new Error(`no result within ${SESSION_MS} ms`)), SESSION_MS);

function fail(error) {
  process.stderr.write(`interop client failed: ${error?.stack ?? error}\n`);
  process.exit(1);
}

function check(condition, message, value) {
  if (!condition) {
    throw new Error(`${message}; got ${JSON.stringify(value)}`);
  }
}

function deadline(ms = WAIT_MS) {
  return Date.now() + ms;
}

// On a market with participants the token (from $MARKETSIM_TOKEN) says who we are; the
// owner header is then ignored.
function ownerMetadata() {
  const metadata = new grpc.Metadata();
  metadata.set("marketsim-owner", OWNER);
  if (process.env.MARKETSIM_TOKEN) {
    metadata.set("authorization", `Bearer ${process.env.MARKETSIM_TOKEN}`);
  }
  return metadata;
}

function loadService() {
  const definition = protoLoader.loadSync("marketsim/wire/v1/market.proto", {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
    includeDirs: [PROTOS],
  });
  return grpc.loadPackageDefinition(definition).marketsim.wire.v1.MarketService;
}

// A unary call as a promise; rejects with the grpc error (.code, .details).
function unary(client, method, request) {
  return new Promise((resolve, reject) => {
    client[method](request, ownerMetadata(), { deadline: deadline() }, (error, response) =>
      error ? reject(error) : resolve(response),
    );
  });
}

// The status of a call that must fail: {code, details}.
async function unaryError(client, method, request) {
  try {
    const response = await unary(client, method, request);
    throw new Error(`${method} succeeded but should have failed: ${JSON.stringify(response)}`);
  } catch (error) {
    if (error.code === undefined) {
      throw error;
    }
    return { code: error.code, details: error.details };
  }
}

// A server stream read one message at a time, each wait bounded by WAIT_MS.
class StreamReader {
  constructor(call, name) {
    this.call = call;
    this.name = name;
    this.messages = [];
    this.waiters = [];
    this.closed = null; // the error (or end) that finished the stream
    call.on("data", (message) => this.#push({ message }));
    call.on("error", (error) => this.#push({ error }));
    call.on("end", () => this.#push({ error: new Error(`${name} ended`) }));
  }

  #push(item) {
    if (item.error) {
      this.closed ??= item.error;
    } else {
      this.messages.push(item.message);
    }
    while (this.waiters.length > 0 && (this.messages.length > 0 || this.closed)) {
      this.waiters.shift()();
    }
  }

  async next(what) {
    if (this.messages.length === 0 && !this.closed) {
      await new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no ${what} on ${this.name} within ${WAIT_MS} ms`)),
          WAIT_MS,
        );
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    if (this.messages.length > 0) {
      return this.messages.shift();
    }
    throw new Error(`${this.name} closed while waiting for ${what}: ${this.closed.message}`);
  }

  cancel() {
    this.call.cancel(); // surfaces as a CANCELLED error, recorded and ignored
  }
}

function openStream(client, method, request) {
  const call = client[method](request, ownerMetadata(), { deadline: deadline(SESSION_MS) });
  return new StreamReader(call, method);
}

function eventKinds(ack) {
  return ack.events.map((event) => event.kind);
}

function eventOf(ack, kind) {
  const event = ack.events.find((e) => e.kind === kind);
  check(event !== undefined, `the ack has no ${kind} event`, eventKinds(ack));
  return event[kind];
}

function limitOrder(side, qtyLots, extra = {}) {
  return {
    symbol: SYMBOL,
    side,
    order_type: "ORDER_TYPE_LIMIT",
    qty_lots: qtyLots,
    price_ticks: PRICE,
    tif: "TIME_IN_FORCE_GTC",
    ...extra,
  };
}

function level(l) {
  return { price_ticks: l.price_ticks, qty_lots: l.qty_lots, order_count: l.order_count };
}

function ackSummary(ack) {
  return {
    order_id: ack.order_id,
    status: ack.status,
    reason: ack.reason,
    filled_lots: ack.filled_lots,
    leaves_lots: ack.leaves_lots,
    events: eventKinds(ack),
  };
}

async function run(address) {
  const MarketService = loadService();
  // The server is on loopback: never route it through an http(s)_proxy from the environment.
  const client = new MarketService(address, grpc.credentials.createInsecure(), {
    "grpc.enable_http_proxy": 0,
  });
  await new Promise((resolve, reject) =>
    client.waitForReady(deadline(), (error) => (error ? reject(error) : resolve())),
  );
  const streams = [];
  try {
    const observed = {};

    const listed = await unary(client, "ListInstruments", {});
    observed.instruments = listed.instruments;
    check(
      listed.instruments.some((i) => i.symbol === SYMBOL),
      `${SYMBOL} is not listed`,
      listed.instruments,
    );

    // StreamTrades sends nothing, not even headers, before its first trade, so a client cannot
    // tell when its subscription is live. Opened now, it is subscribed long before the trade.
    const trades = openStream(client, "StreamTrades", { symbol: SYMBOL });
    streams.push(trades);

    const sell = await unary(client, "SubmitOrder", limitOrder("SIDE_SELL", RESTING_LOTS));
    observed.sell = ackSummary(sell);
    check(sell.status === "ORDER_STATUS_NEW", "the sell is not NEW", sell.status);
    check(eventOf(sell, "accepted").owner === OWNER, "the sell's owner", sell.events);
    const sellDelta = eventOf(sell, "delta");
    check(sellDelta.side === "BOOK_SIDE_ASK", "the sell's delta side", sellDelta);
    check(sellDelta.action === "DELTA_ACTION_ADD", "the sell's delta action", sellDelta);

    observed.invalid = await unaryError(
      client,
      "SubmitOrder",
      limitOrder("SIDE_SELL", 0), // qty_lots must be positive
    );
    const invalid = observed.invalid;
    check(invalid.code === grpc.status.INVALID_ARGUMENT, "not INVALID_ARGUMENT", invalid);
    check(invalid.details, "INVALID_ARGUMENT without a message", invalid);

    const postOnly = await unary(
      client,
      "SubmitOrder",
      limitOrder("SIDE_BUY", 5, { post_only: true }), // at the ask: would take liquidity
    );
    observed.post_only = ackSummary(postOnly);
    check(postOnly.status === "ORDER_STATUS_REJECTED", "the post-only status", postOnly.status);
    check(postOnly.reason === "post_only_would_cross", "the post-only reason", postOnly.reason);
    const rejected = eventOf(postOnly, "rejected");
    check(rejected.reason === postOnly.reason, "the rejected event's reason", rejected);

    const book = await unary(client, "GetBook", { symbol: SYMBOL, depth: 0 });
    observed.book = { seq: book.seq, bids: book.bids.map(level), asks: book.asks.map(level) };
    const asks = book.asks;
    check(asks.length === 1 && asks[0].price_ticks === String(PRICE), "the ask level", asks);
    check(book.bids.length === 0, "bids in the book", book.bids);

    const bookStream = openStream(client, "StreamBook", { symbol: SYMBOL, depth: 0 });
    streams.push(bookStream);
    const first = await bookStream.next("snapshot");
    check(first.update === "snapshot", "StreamBook did not start with a snapshot", first);
    const snapshot = first.snapshot;
    check(snapshot.seq === book.seq, "the stream snapshot is not GetBook's book", snapshot);

    const buy = await unary(client, "SubmitOrder", limitOrder("SIDE_BUY", CROSSING_LOTS));
    observed.buy = ackSummary(buy);
    check(buy.status === "ORDER_STATUS_FILLED", "the crossing buy is not FILLED", buy.status);
    const lastSeq = buy.events.at(-1)[buy.events.at(-1).kind].seq;

    const second = await bookStream.next("deltas");
    check(second.update === "deltas", "StreamBook's second message is not deltas", second);
    const deltas = second.deltas;
    observed.stream = {
      snapshot_seq: snapshot.seq,
      snapshot_asks: snapshot.asks.map(level),
      prev_seq: deltas.prev_seq,
      seq: deltas.seq,
      ack_last_seq: lastSeq,
      deltas: deltas.deltas.map((d) => ({
        side: d.side,
        action: d.action,
        price_ticks: d.price_ticks,
        qty_lots: d.qty_lots,
        order_count: d.order_count,
        last: d.last,
        ts_event: d.ts_event,
      })),
    };
    check(deltas.prev_seq === snapshot.seq, "prev_seq does not chain to the snapshot", deltas);
    check(deltas.seq === lastSeq, "the deltas' seq is not the buy's last event", deltas);

    const batch = await trades.next("trade");
    observed.trades = {
      symbol: batch.symbol,
      trades: batch.trades.map((t) => ({
        trade_id: t.trade_id,
        price_ticks: t.price_ticks,
        qty_lots: t.qty_lots,
        aggressor_side: t.aggressor_side,
        maker_order_id: t.maker_order_id,
        taker_order_id: t.taker_order_id,
        maker_owner: t.maker_owner,
        taker_owner: t.taker_owner,
      })),
    };
    check(batch.trades.length === 1, "not exactly one trade", batch.trades);
    check(batch.trades[0].taker_order_id === buy.order_id, "the trade's taker", batch.trades[0]);

    return observed;
  } finally {
    for (const stream of streams) {
      stream.cancel();
    }
    client.close();
  }
}

const address = process.argv[2];
if (!address) {
  fail(new Error("usage: node client.mjs HOST:PORT"));
}
try {
  const observed = await run(address);
  clearTimeout(watchdog);
  // Exit at once: nothing left to wait for, whatever handles grpc-js may still hold.
  process.stdout.write(`${JSON.stringify(observed)}\n`, () => process.exit(0));
} catch (error) {
  fail(error);
}
