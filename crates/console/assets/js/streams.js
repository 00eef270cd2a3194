// A table's stream: its most recent records, read from every shard.

import * as api from "./api.js";
import { h, replace } from "./dom.js";
import { display } from "./dynamo.js";

// Records shown, the newest first; shards and pages read at most.
const SHOWN = 50;
const MAX_SHARDS = 20;
const MAX_PAGES = 20;

async function recentRecords(streamArn) {
  const { StreamDescription: stream } = await api.streamsCall("DescribeStream", { StreamArn: streamArn });
  const records = [];
  for (const shard of stream.Shards.slice(-MAX_SHARDS)) {
    let { ShardIterator: iterator } = await api.streamsCall("GetShardIterator",
      { StreamArn: streamArn, ShardId: shard.ShardId, ShardIteratorType: "TRIM_HORIZON" });
    for (let page = 0; iterator && page < MAX_PAGES; page++) {
      const answer = await api.streamsCall("GetRecords", { ShardIterator: iterator, Limit: 1000 });
      records.push(...answer.Records);
      if (answer.Records.length === 0) break;
      iterator = answer.NextShardIterator;
    }
  }
  records.sort((a, b) => b.dynamodb.SequenceNumber.localeCompare(a.dynamodb.SequenceNumber, undefined, { numeric: true }));
  return records.slice(0, SHOWN);
}

export function streamSection(table) {
  const holder = h("div", { id: "stream-records", "aria-live": "polite" });
  const show = h("button", { type: "button", id: "show-stream", onclick: async () => {
    replace(holder, h("p", { class: "muted" }, "Reading the stream…"));
    try {
      const records = await recentRecords(table.LatestStreamArn);
      replace(holder, records.length === 0 ? h("p", { class: "muted" }, "No records yet.") :
        h("table", { class: "grid", id: "stream-table" },
          h("thead", {}, h("tr", {}, ["Time", "Event", "Keys", "New image", "Old image"].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, records.map((record) => h("tr", {},
            h("td", {}, new Date(record.dynamodb.ApproximateCreationDateTime * 1000).toISOString()),
            h("td", { class: "event" }, record.eventName),
            h("td", { class: "value" }, display({ M: record.dynamodb.Keys })),
            h("td", { class: "value" }, record.dynamodb.NewImage ? display({ M: record.dynamodb.NewImage }) : ""),
            h("td", { class: "value" }, record.dynamodb.OldImage ? display({ M: record.dynamodb.OldImage }) : ""))))));
    } catch (error) {
      replace(holder, h("p", { class: "error", role: "alert" }, error.message));
    }
  } }, "Show recent stream records");
  return h("section", { "aria-labelledby": "stream-title" }, h("h2", { id: "stream-title" }, "Stream records"), show, holder);
}
