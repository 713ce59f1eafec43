import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PUBLIC_EVENT_TYPES, type PublicEventType } from '@sroi/integration-events';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayNotEmpty, ArrayUnique, IsArray, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { ReadQueryDto } from '../../read-side/read-query.dto';
import type { DeliveryAttempt, EndpointStatus, WebhookEndpoint } from './webhook-store';

export const MAX_DELIVERIES_PAGE = 500;

export class RegisterWebhookDto {
  @ApiProperty({ example: 'https://integrations.example.org/sroi/webhooks', description: 'https:// only; no credentials; a public address' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(2048)
  url!: string;

  @ApiProperty({ enum: PUBLIC_EVENT_TYPES, isArray: true, example: ['contract.registered', 'contribution.verified'] })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayUnique()
  @ArrayMaxSize(PUBLIC_EVENT_TYPES.length)
  @IsIn([...PUBLIC_EVENT_TYPES], { each: true, message: `each value in eventTypes must be one of: ${PUBLIC_EVENT_TYPES.join(', ')}` })
  eventTypes!: PublicEventType[];

  @ApiPropertyOptional({ example: 'ERP koppeling' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;

  @ApiPropertyOptional({
    example: '18446',
    description:
      'Deliver the events after this position of the integration log (a decimal position such as the last SSE id processed, or `start` for the whole log). Default: only events appended from now on.',
  })
  @IsOptional()
  @IsString()
  @Matches(/^(\d{1,20}|start)$/, { message: 'startAfter must be a decimal position or "start"' })
  startAfter?: string;
}

export class DeliveriesQueryDto extends ReadQueryDto {
  @ApiPropertyOptional({ example: 50, description: `at most ${MAX_DELIVERIES_PAGE}; default 50` })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_DELIVERIES_PAGE)
  limit?: number;
}

export class WebhookDeliveryStateView {
  @ApiProperty({ nullable: true, type: String, description: 'position of the last event delivered (or of the start point)' }) cursor!: string | null;
  @ApiProperty({ nullable: true, type: String }) lastDeliveredAt!: string | null;
  @ApiProperty() deliveredCount!: number;
  @ApiProperty({ description: 'failed attempts at the undelivered event after the cursor' }) failedAttempts!: number;
  @ApiProperty({ nullable: true, type: String, description: 'when the next attempt is due, while retrying' }) nextAttemptAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) failingSince!: string | null;
  @ApiProperty({ nullable: true, type: String }) lastAttemptAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) lastError!: string | null;
}

export class WebhookEndpointView {
  @ApiProperty({ format: 'uuid' }) webhookId!: string;
  @ApiProperty() url!: string;
  @ApiProperty({ enum: PUBLIC_EVENT_TYPES, isArray: true }) eventTypes!: PublicEventType[];
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
  @ApiProperty({ enum: ['active', 'paused', 'failing'] }) status!: EndpointStatus;
  @ApiProperty() municipality!: string;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
  @ApiProperty({ type: WebhookDeliveryStateView }) delivery!: WebhookDeliveryStateView;
}

export class WebhookCreatedView extends WebhookEndpointView {
  @ApiProperty({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', description: 'shown only in this answer: keep it to verify the webhook-signature header' })
  secret!: string;
}

export class WebhookListView {
  @ApiProperty({ type: [WebhookEndpointView] }) items!: WebhookEndpointView[];
}

export class DeliveryAttemptView {
  @ApiProperty() attemptedAt!: string;
  @ApiProperty({ description: 'the webhook-id' }) eventId!: string;
  @ApiProperty({ enum: PUBLIC_EVENT_TYPES }) eventType!: string;
  @ApiProperty({ description: 'decimal position in the integration log' }) position!: string;
  @ApiProperty({ description: '1 for the first attempt at this event' }) attempt!: number;
  @ApiProperty({ enum: ['delivered', 'failed'] }) outcome!: 'delivered' | 'failed';
  @ApiProperty({ nullable: true, type: Number }) statusCode!: number | null;
  @ApiProperty() durationMs!: number;
  @ApiProperty({ nullable: true, type: String }) error!: string | null;
}

export class DeliveryLogView {
  @ApiProperty({ type: [DeliveryAttemptView], description: 'newest first; only the last attempts per endpoint are kept' }) items!: DeliveryAttemptView[];
}

export function endpointView(e: WebhookEndpoint): WebhookEndpointView {
  return {
    webhookId: e.id,
    url: e.url,
    eventTypes: e.eventTypes,
    description: e.description,
    status: e.status,
    municipality: e.municipality,
    createdAt: e.createdAt,
    updatedAt: e.updatedAt,
    delivery: {
      cursor: e.cursor === null ? null : String(e.cursor),
      lastDeliveredAt: e.lastDeliveredAt,
      deliveredCount: e.deliveredCount,
      failedAttempts: e.attempts,
      nextAttemptAt: e.status === 'active' && e.nextAttemptAt !== null ? new Date(e.nextAttemptAt).toISOString() : null,
      failingSince: e.failingSince,
      lastAttemptAt: e.lastAttemptAt,
      lastError: e.lastError,
    },
  };
}

export const attemptView = (a: DeliveryAttempt): DeliveryAttemptView => ({ ...a, position: String(a.position) });
