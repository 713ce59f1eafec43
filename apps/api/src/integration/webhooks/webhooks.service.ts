import { uuidv7 } from '@sroi/event-store';
import type { Principal } from '../../auth/principal';
import { notFound, ProblemException } from '../../platform/problem';
import type { IntegrationLog } from '../integration-log';
import type { UrlPolicy } from './url-policy';
import type { WebhookDispatcher } from './webhook-dispatcher';
import type { WebhookOptions } from './webhook-options';
import { WebhookSigner } from './webhook-signer';
import type { WebhookStore } from './webhook-store';
import { attemptView, endpointView, type DeliveryAttemptView, type RegisterWebhookDto, type WebhookCreatedView, type WebhookEndpointView } from './webhooks.dto';

/** The municipality an integrator acts for (the guard has checked the role). */
function municipalityOf(p: Principal): string {
  if (!p.municipality) throw new ProblemException(403, 'forbidden', 'This token has no municipality');
  return p.municipality;
}

/** The endpoints of the caller's municipality: another municipality's ids are answered 404. */
export class WebhooksService {
  constructor(
    private readonly store: WebhookStore,
    private readonly policy: UrlPolicy,
    private readonly dispatcher: WebhookDispatcher,
    private readonly log: IntegrationLog,
    private readonly options: WebhookOptions,
  ) {}

  async register(principal: Principal, body: RegisterWebhookDto): Promise<WebhookCreatedView> {
    const municipality = municipalityOf(principal);
    const verdict = await this.policy.check(body.url);
    if (!verdict.ok) {
      const { status, code, detail, address, range } = verdict;
      throw new ProblemException(status, code, detail, { ...(address ? { address } : {}), ...(range ? { range } : {}) });
    }
    const last = this.log.lastPosition();
    let cursor: bigint | null;
    if (body.startAfter === undefined) cursor = last;
    else if (body.startAfter === 'start') cursor = null;
    else {
      cursor = BigInt(body.startAfter);
      if (last === null || cursor > last) {
        throw new ProblemException(422, 'webhook-start-beyond-log', `startAfter ${cursor} is beyond the end of the integration log (${last ?? 'empty'})`, {
          lastPosition: last === null ? null : String(last),
        });
      }
    }
    if (this.store.count(municipality) >= this.options.maxEndpointsPerMunicipality) {
      throw new ProblemException(422, 'webhook-limit-reached', `A municipality may register at most ${this.options.maxEndpointsPerMunicipality} webhook endpoints; delete one first`);
    }
    const secret = WebhookSigner.generateSecret();
    const endpoint = this.store.create({
      id: uuidv7(),
      municipality,
      url: verdict.url.href,
      eventTypes: body.eventTypes,
      description: body.description ?? null,
      secret,
      createdBy: principal.subject,
      cursor,
      now: new Date().toISOString(),
    });
    this.dispatcher.wake();
    return { ...endpointView(endpoint), secret };
  }

  list(principal: Principal): WebhookEndpointView[] {
    return this.store.list(municipalityOf(principal)).map(endpointView);
  }

  get(principal: Principal, id: string): WebhookEndpointView {
    const endpoint = this.store.get(id, municipalityOf(principal));
    if (!endpoint) throw notFound(`Webhook ${id}`);
    return endpointView(endpoint);
  }

  pause(principal: Principal, id: string): WebhookEndpointView {
    if (!this.store.pause(id, municipalityOf(principal), new Date().toISOString())) throw notFound(`Webhook ${id}`);
    return this.get(principal, id);
  }

  resume(principal: Principal, id: string): WebhookEndpointView {
    if (!this.store.resume(id, municipalityOf(principal), new Date().toISOString())) throw notFound(`Webhook ${id}`);
    this.dispatcher.wake();
    return this.get(principal, id);
  }

  delete(principal: Principal, id: string): void {
    if (!this.store.delete(id, municipalityOf(principal))) throw notFound(`Webhook ${id}`);
  }

  deliveries(principal: Principal, id: string, limit: number): DeliveryAttemptView[] {
    const endpoint = this.store.get(id, municipalityOf(principal));
    if (!endpoint) throw notFound(`Webhook ${id}`);
    return this.store.deliveries(endpoint.id, limit).map(attemptView);
  }
}
