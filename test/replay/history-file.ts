// Recorded histories as files: the protobuf bytes, base64, in a small JSON envelope. (The SDK's
// JSON form needs one protobufjs copy in node_modules; npm installs two here.) The payloads are
// encrypted with the fixture key either way.
import proto from '@temporalio/proto';

const History = proto.temporal.api.history.v1.History;
type HistoryMessage = proto.temporal.api.history.v1.IHistory;

export function encodeHistory(history: HistoryMessage): string {
  return `${JSON.stringify({ format: 'temporal.api.history.v1.History+base64', events: history.events?.length ?? 0, data: Buffer.from(History.encode(history).finish()).toString('base64') }, null, 1)}\n`;
}

export function decodeHistory(file: string): proto.temporal.api.history.v1.History {
  const { format, data } = JSON.parse(file) as { format: string; data: string };
  if (format !== 'temporal.api.history.v1.History+base64') throw new Error(`unknown history file format ${format}`);
  return History.decode(Buffer.from(data, 'base64'));
}
