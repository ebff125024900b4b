// What the Node gRPC clients of SpiderGate share (grpc_client.mjs, media_client.mjs):
// the services loaded from the .proto files alone, the rich error reader, and call helpers.

import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

export { grpc };

const here = dirname(fileURLToPath(import.meta.url));
const protosDir = resolve(here, "../../protos");
const packageDir = join(protosDir, "spidergate", "v1");
const DEADLINE_MS = 20_000;

// protobufjs comes with proto-loader; resolve it from there so hoisting does not matter.
const requireFromLoader = createRequire(createRequire(import.meta.url).resolve("@grpc/proto-loader"));
const protobuf = requireFromLoader("protobufjs");

// ------------------------------------------------------------------------- the protos

const protoFiles = readdirSync(packageDir)
  .filter((f) => f.endsWith(".proto"))
  .sort()
  .map((f) => `spidergate/v1/${f}`);

const packageDefinition = protoLoader.loadSync(protoFiles, {
  includeDirs: [protosDir],
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});
export const v1 = grpc.loadPackageDefinition(packageDefinition).spidergate.v1;

// For reading the rich error: google.rpc.Status / ErrorInfo (inline) and our ErrorDetail.
const rpcRoot = protobuf.parse(`
  syntax = "proto3";
  package google.rpc;
  message Any { string type_url = 1; bytes value = 2; }
  message Status { int32 code = 1; string message = 2; repeated Any details = 3; }
  message ErrorInfo { string reason = 1; string domain = 2; map<string, string> metadata = 3; }
`, { keepCase: true }).root;
const StatusType = rpcRoot.lookupType("google.rpc.Status");
const ErrorInfoType = rpcRoot.lookupType("google.rpc.ErrorInfo");

const commonRoot = new protobuf.Root();
commonRoot.resolvePath = (_origin, file) => join(protosDir, file);
commonRoot.loadSync("spidergate/v1/common.proto", { keepCase: true });
const ErrorDetailType = commonRoot.lookupType("spidergate.v1.ErrorDetail");

export function decodeStatusDetails(metadata) {
  const raw = metadata?.get("grpc-status-details-bin")?.[0];
  if (!raw) return null;
  const status = StatusType.decode(raw);
  const out = { status_code: status.code, status_message: status.message, detail: null, info: null };
  for (const any of status.details) {
    const type = any.type_url.slice(any.type_url.lastIndexOf("/") + 1);
    if (type === "spidergate.v1.ErrorDetail") {
      const d = ErrorDetailType.toObject(ErrorDetailType.decode(any.value), { defaults: true });
      out.detail = {
        code: d.code,
        type: d.type,
        message: d.message,
        param: d.param,
        http_status: d.http_status,
        headers: d.headers || {},
        body_json: d.body_json?.length ? Buffer.from(d.body_json).toString("utf8") : "",
      };
    } else if (type === "google.rpc.ErrorInfo") {
      const i = ErrorInfoType.toObject(ErrorInfoType.decode(any.value), { defaults: true });
      out.info = { reason: i.reason, domain: i.domain };
    }
  }
  return out;
}

// ---------------------------------------------------------------------------- helpers

export const credentials = grpc.credentials.createInsecure();

export function authMetadata(token) {
  const md = new grpc.Metadata();
  md.set("authorization", `Bearer ${token}`);
  return md;
}

export function deadline() {
  return new Date(Date.now() + DEADLINE_MS);
}

export function unary(client, method, request, metadata = new grpc.Metadata()) {
  return new Promise((resolveCall, rejectCall) => {
    client[method](request, metadata, { deadline: deadline() }, (err, reply) =>
      err ? rejectCall(err) : resolveCall(reply),
    );
  });
}

export function serverStream(client, method, request, metadata) {
  return new Promise((resolveCall, rejectCall) => {
    const messages = [];
    const call = client[method](request, metadata, { deadline: deadline() });
    call.on("data", (m) => messages.push(m));
    call.on("error", rejectCall);
    call.on("end", () => resolveCall(messages));
  });
}
