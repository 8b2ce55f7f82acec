// google-protobuf ships no declarations; fabk8s uses one class from it (see protos.ts)
declare module 'google-protobuf/google/protobuf/timestamp_pb.js' {
  export const Timestamp: {fromDate(d: Date): object}
}
