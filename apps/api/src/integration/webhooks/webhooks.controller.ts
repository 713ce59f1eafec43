import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { Idempotent } from '../../idempotency/idempotency.module';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Roles } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { DeliveriesQueryDto, DeliveryLogView, RegisterWebhookDto, WebhookCreatedView, WebhookEndpointView, WebhookListView } from './webhooks.dto';
import { WebhooksService } from './webhooks.service';
import { ApiIdempotencyKey, ApiProblems } from '../../platform/api-docs';

/** Webhook endpoints of the integrator's municipality; the work is in {@link WebhooksService}. */
@ApiTags('integration: webhooks')
@ApiBearerAuth()
@Roles('integrator')
@Idempotent()
@ApiProblems(400, 401, 403, 404, 422)
@Controller('v1/integration/webhooks')
export class WebhooksController {
  constructor(@Inject(WebhooksService) private readonly webhooks: WebhooksService) {}

  @Post()
  @ApiIdempotencyKey()
  @ApiOperation({
    summary: 'Register an endpoint',
    description:
      "Deliveries follow Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature `v1,<base64 HMAC-SHA256>`), one event at a time in log order, retried with backoff for at least 24 h. The secret is shown only in this answer. Errors: 400 validation-failed, webhook-url-invalid, webhook-url-credentials; 422 webhook-url-not-https, webhook-url-forbidden-address, webhook-url-unresolvable, webhook-start-beyond-log, webhook-limit-reached.",
  })
  @ApiCreatedResponse({ type: WebhookCreatedView })
  register(@CurrentPrincipal() principal: Principal, @Body() body: RegisterWebhookDto): Promise<WebhookCreatedView> {
    return this.webhooks.register(principal, body);
  }

  @Get()
  @ApiOperation({ summary: "The municipality's endpoints (without their secrets)" })
  @ApiOkResponse({ type: WebhookListView })
  list(@CurrentPrincipal() principal: Principal): WebhookListView {
    return { items: this.webhooks.list(principal) };
  }

  @Get(':webhookId')
  @ApiOkResponse({ type: WebhookEndpointView })
  get(@CurrentPrincipal() principal: Principal, @Param('webhookId') id: string): WebhookEndpointView {
    return this.webhooks.get(principal, id);
  }

  @Post(':webhookId/pause')
  @ApiIdempotencyKey()
  @HttpCode(200)
  @ApiOperation({ summary: 'Stop delivering (an attempt under way completes)' })
  @ApiOkResponse({ type: WebhookEndpointView })
  pause(@CurrentPrincipal() principal: Principal, @Param('webhookId') id: string): WebhookEndpointView {
    return this.webhooks.pause(principal, id);
  }

  @Post(':webhookId/resume')
  @ApiIdempotencyKey()
  @HttpCode(200)
  @ApiOperation({ summary: 'Deliver again (also after `failing`): the undelivered event first, at once, with a fresh 24 h retry window' })
  @ApiOkResponse({ type: WebhookEndpointView })
  resume(@CurrentPrincipal() principal: Principal, @Param('webhookId') id: string): WebhookEndpointView {
    return this.webhooks.resume(principal, id);
  }

  @Delete(':webhookId')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'deleted with its delivery log' })
  delete(@CurrentPrincipal() principal: Principal, @Param('webhookId') id: string): void {
    this.webhooks.delete(principal, id);
  }

  @Get(':webhookId/deliveries')
  @ApiOperation({ summary: 'The last delivery attempts, newest first (the last 100 per endpoint are kept by default)' })
  @ApiOkResponse({ type: DeliveryLogView })
  deliveries(@CurrentPrincipal() principal: Principal, @Param('webhookId') id: string, @Query() query: DeliveriesQueryDto): DeliveryLogView {
    return { items: this.webhooks.deliveries(principal, id, query.limit ?? 50) };
  }
}
