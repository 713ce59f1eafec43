export { WebhooksModule, type WebhooksModuleImports } from './webhooks.module';
export { WebhookOptions, type RetrySchedule, type WebhookOptionsInit } from './webhook-options';
export { WebhookDispatcher } from './webhook-dispatcher';
export { WebhookStore, WEBHOOKS_FILE, type WebhookEndpoint, type DeliveryAttempt, type EndpointStatus } from './webhook-store';
export { WebhookSigner } from './webhook-signer';
export { UrlPolicy, classifyAddress, type HostResolver } from './url-policy';
