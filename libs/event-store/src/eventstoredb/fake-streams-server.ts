/**
 * A scripted, in-process stand-in for the `Streams.Read` gRPC method of EventStoreDB, for specs of
 * the adapter's own logic (paging, skipping, resubscription) through the real client. It is NOT
 * EventStoreDB and proves nothing about the server: the contract suite against a real server
 * (docker/README.md) does that. Only what the specs need is implemented.
 */
import * as grpc from '@grpc/grpc-js';
import { StreamsService } from '@eventstore/db-client/generated/streams_grpc_pb';
import { ReadReq, ReadResp } from '@eventstore/db-client/generated/streams_pb';
import { grpcReadEvent, type GrpcRecordSpec } from './test-support';

export interface AllRequest {
  subscription: boolean;
  direction: 'forwards' | 'backwards';
  from: 'start' | 'end' | { commit: bigint; prepare: bigint };
  count: bigint | undefined;
  filter: { on: 'streamName' | 'eventType'; regex: string; prefixes: string[] } | undefined;
}

/**
 * Reads and subscriptions from a position include the record at that position (a real server
 * excludes it from subscriptions), so the adapter's de-duplication is exercised.
 */
export class FakeStreamsServer {
  readonly records: GrpcRecordSpec[] = [];
  readonly allRequests: AllRequest[] = [];
  /** Fail this many subscription requests at once, with UNAVAILABLE. */
  failNextSubscriptions = 0;
  /** After this many events an open subscription fails with UNAVAILABLE (once per setting). */
  dropSubscriptionAfter: number | undefined;
  /** Subscription requests refused after that drop. */
  refuseAfterDrop = 0;
  /** Confirm this many subscription requests, then fail each at once with UNAVAILABLE. */
  failAfterConfirmation = 0;
  private readonly live = new Set<(record: GrpcRecordSpec) => void>();
  private server: grpc.Server | undefined;
  private nextPosition = 1_000n;

  async start(): Promise<string> {
    const server = new grpc.Server();
    server.addService(StreamsService, {
      read: (call: grpc.ServerWritableStream<ReadReq, ReadResp>) => this.read(call),
    } as unknown as grpc.UntypedServiceImplementation);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    this.server = server;
    return `esdb://127.0.0.1:${port}?tls=false`;
  }

  async stop(): Promise<void> {
    this.server?.forceShutdown();
  }

  /** Appends a record at the next position (positions grow by 100, commit = prepare). */
  add(spec: Omit<GrpcRecordSpec, 'commit' | 'prepare' | 'revision' | 'id'> & Partial<GrpcRecordSpec>): GrpcRecordSpec {
    const position = (this.nextPosition += 100n);
    const revision = BigInt(this.records.filter((r) => r.streamId === spec.streamId).length);
    const record: GrpcRecordSpec = {
      id: `00000000-0000-7000-8000-${position.toString().padStart(12, '0')}`,
      revision,
      commit: position,
      prepare: position,
      createdTicks: (BigInt(Date.UTC(2025, 0, 1)) * 10_000n + position).toString(),
      metadata: '',
      ...spec,
    };
    this.records.push(record);
    for (const push of this.live) push(record);
    return record;
  }

  private read(call: grpc.ServerWritableStream<ReadReq, ReadResp>): void {
    const options = call.request.getOptions();
    if (!options) return this.fail(call, grpc.status.INVALID_ARGUMENT, 'no options');
    const stream = options.getStream();
    if (stream) return this.readStream(call, options, stream);
    const all = options.getAll();
    if (!all) return this.fail(call, grpc.status.INVALID_ARGUMENT, 'no stream or all');
    const position = all.getPosition();
    const from: AllRequest['from'] = all.hasEnd()
      ? 'end'
      : all.hasStart() || !position
        ? 'start'
        : { commit: BigInt(position.getCommitPosition()), prepare: BigInt(position.getPreparePosition()) };
    const filterOptions = options.getFilter();
    const expression = filterOptions?.getStreamIdentifier() ?? filterOptions?.getEventType();
    const request: AllRequest = {
      subscription: options.hasSubscription(),
      direction: options.getReadDirection() === ReadReq.Options.ReadDirection.BACKWARDS ? 'backwards' : 'forwards',
      from,
      count: options.hasSubscription() ? undefined : BigInt(options.getCount()),
      filter:
        filterOptions && expression
          ? {
              on: filterOptions.hasStreamIdentifier() ? 'streamName' : 'eventType',
              regex: expression.getRegex(),
              prefixes: expression.getPrefixList(),
            }
          : undefined,
    };
    this.allRequests.push(request);
    if (request.subscription) return this.subscribe(call, request);
    let selected: GrpcRecordSpec[];
    if (request.direction === 'forwards') {
      selected = from === 'start' ? this.records : from === 'end' ? [] : this.records.filter((r) => commitOf(r) >= from.commit);
    } else {
      const before = from === 'end' ? this.records : from === 'start' ? [] : this.records.filter((r) => commitOf(r) < from.commit);
      selected = [...before].reverse();
    }
    for (const record of selected.slice(0, Number(request.count))) call.write(this.eventResp(record));
    call.end();
  }

  private subscribe(call: grpc.ServerWritableStream<ReadReq, ReadResp>, request: AllRequest): void {
    if (this.failNextSubscriptions > 0) {
      this.failNextSubscriptions--;
      return this.fail(call, grpc.status.UNAVAILABLE, 'scripted: not now');
    }
    const confirmation = new ReadResp();
    confirmation.setConfirmation(new ReadResp.SubscriptionConfirmation().setSubscriptionId('fake'));
    call.write(confirmation);
    if (this.failAfterConfirmation > 0) {
      this.failAfterConfirmation--;
      return this.fail(call, grpc.status.UNAVAILABLE, 'scripted: lost right after confirming');
    }
    const from = request.from;
    const matches = (record: GrpcRecordSpec) => {
      if (!request.filter) return true;
      const value = request.filter.on === 'streamName' ? record.streamId : record.type;
      if (request.filter.prefixes.length > 0) return request.filter.prefixes.some((p) => value.startsWith(p));
      return new RegExp(request.filter.regex).test(value);
    };
    let sent = 0;
    const send = (record: GrpcRecordSpec): boolean => {
      if (!matches(record)) return true;
      if (this.dropSubscriptionAfter !== undefined && sent >= this.dropSubscriptionAfter) {
        this.dropSubscriptionAfter = undefined;
        this.failNextSubscriptions += this.refuseAfterDrop;
        this.live.delete(push);
        this.fail(call, grpc.status.UNAVAILABLE, 'scripted: connection lost');
        return false;
      }
      call.write(this.eventResp(record));
      sent++;
      return true;
    };
    const push = (record: GrpcRecordSpec) => {
      send(record);
    };
    const history =
      from === 'start' ? this.records : from === 'end' ? [] : this.records.filter((r) => commitOf(r) >= from.commit);
    for (const record of history) if (!send(record)) return;
    const caughtUp = new ReadResp();
    caughtUp.setCaughtUp(new ReadResp.CaughtUp());
    call.write(caughtUp);
    this.live.add(push);
    call.on('cancelled', () => this.live.delete(push));
    call.on('close', () => this.live.delete(push));
  }

  private readStream(
    call: grpc.ServerWritableStream<ReadReq, ReadResp>,
    options: ReadReq.Options,
    stream: ReadReq.Options.StreamOptions,
  ): void {
    const identifier = stream.getStreamIdentifier();
    const streamId = identifier ? Buffer.from(identifier.getStreamName_asU8()).toString('utf8') : '';
    const records = this.records.filter((r) => r.streamId === streamId);
    if (records.length === 0) {
      const notFound = new ReadResp();
      notFound.setStreamNotFound(new ReadResp.StreamNotFound().setStreamIdentifier(identifier));
      call.write(notFound);
      call.end();
      return;
    }
    const backwards = options.getReadDirection() === ReadReq.Options.ReadDirection.BACKWARDS;
    const count = Number(BigInt(options.getCount()));
    let selected: GrpcRecordSpec[];
    if (backwards) {
      const last = stream.hasEnd() ? Infinity : stream.hasStart() ? 0 : Number(stream.getRevision());
      selected = records.filter((r) => Number(r.revision) <= last).reverse();
    } else {
      const first = stream.hasStart() ? 0 : stream.hasEnd() ? Infinity : Number(stream.getRevision());
      selected = records.filter((r) => Number(r.revision) >= first);
    }
    for (const record of selected.slice(0, count)) call.write(this.eventResp(record));
    call.end();
  }

  private eventResp(record: GrpcRecordSpec): ReadResp {
    const response = new ReadResp();
    response.setEvent(grpcReadEvent(record));
    return response;
  }

  private fail(call: grpc.ServerWritableStream<ReadReq, ReadResp>, code: grpc.status, details: string): void {
    call.emit('error', { code, details, metadata: new grpc.Metadata() });
  }
}

function commitOf(record: GrpcRecordSpec): bigint {
  return record.commit ?? 0n;
}
