/**
 * Builders of the client's own read shapes, for the specs: a real gRPC `ReadResp.ReadEvent`
 * message (the client's generated protobuf classes) converted by the client's own converter, so
 * the tests see exactly what `readStream` / `readAll` / `subscribeToAll` hand to the adapter.
 */
import type { AllStreamResolvedEvent } from '@eventstore/db-client';
import { convertGrpcEvent } from '@eventstore/db-client/dist/utils/convertGrpcEvent';
import { StreamIdentifier, UUID } from '@eventstore/db-client/generated/shared_pb';
import { ReadResp } from '@eventstore/db-client/generated/streams_pb';

/** .NET ticks (100 ns) between 0001-01-01 and 1970-01-01; the server sends `created` in ticks since the Unix epoch. */
export const TICKS_PER_MILLISECOND = 10_000n;

export interface GrpcRecordSpec {
  streamId: string;
  revision: bigint;
  id: string;
  type: string;
  /** Raw bytes of the data, as stored. */
  data: string | Uint8Array;
  /** Raw bytes of the custom metadata, as stored ('' = none). */
  metadata?: string | Uint8Array;
  contentType?: 'application/json' | 'application/octet-stream';
  /** Ticks since the Unix epoch, as a string (how the server sends it). */
  createdTicks?: string;
  commit?: bigint;
  prepare?: bigint;
}

export function grpcRecord(spec: GrpcRecordSpec): ReadResp.ReadEvent.RecordedEvent {
  const record = new ReadResp.ReadEvent.RecordedEvent();
  const uuid = new UUID();
  uuid.setString(spec.id);
  record.setId(uuid);
  const identifier = new StreamIdentifier();
  identifier.setStreamName(Buffer.from(spec.streamId, 'utf8'));
  record.setStreamIdentifier(identifier);
  record.setStreamRevision(spec.revision.toString());
  if (spec.commit !== undefined) record.setCommitPosition(spec.commit.toString());
  if (spec.prepare !== undefined) record.setPreparePosition(spec.prepare.toString());
  const metadataMap = record.getMetadataMap();
  metadataMap.set('type', spec.type);
  metadataMap.set('content-type', spec.contentType ?? 'application/json');
  if (spec.createdTicks !== undefined) metadataMap.set('created', spec.createdTicks);
  record.setData(typeof spec.data === 'string' ? Buffer.from(spec.data, 'utf8') : spec.data);
  const metadata = spec.metadata ?? '';
  record.setCustomMetadata(typeof metadata === 'string' ? Buffer.from(metadata, 'utf8') : metadata);
  return record;
}

export function grpcReadEvent(spec: GrpcRecordSpec, link?: GrpcRecordSpec): ReadResp.ReadEvent {
  const readEvent = new ReadResp.ReadEvent();
  readEvent.setEvent(grpcRecord(spec));
  if (link) readEvent.setLink(grpcRecord(link));
  if (spec.commit !== undefined) readEvent.setCommitPosition(spec.commit.toString());
  return readEvent;
}

/** What the client hands to the adapter for this record on `$all`. */
export function clientResolvedEvent(spec: GrpcRecordSpec, link?: GrpcRecordSpec): AllStreamResolvedEvent {
  return convertGrpcEvent(grpcReadEvent(spec, link)) as AllStreamResolvedEvent;
}

/** Milliseconds since the epoch → the server's `created` (ticks since the epoch), plus sub-millisecond ticks. */
export function ticksFor(millis: number, extraTicks = 0n): string {
  return (BigInt(millis) * TICKS_PER_MILLISECOND + extraTicks).toString();
}
