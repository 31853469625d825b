import type { ParityConfig } from './schema.js';

type Aws = Pick<NonNullable<ParityConfig['environments'][string]['aws']>, 'endpoint' | 'ec2Endpoint'>;

/** The ELBv2 endpoint the SDK will use when one is set: config first, then the SDK's own variables. */
export function effectiveEndpoint(aws: Aws, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return aws.endpoint ?? env.AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2 ?? env.AWS_ENDPOINT_URL;
}

/** The EC2 endpoint the SDK will use when one is set: config first, then the SDK's own variables. */
export function effectiveEc2Endpoint(aws: Aws, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return aws.ec2Endpoint ?? env.AWS_ENDPOINT_URL_EC2 ?? env.AWS_ENDPOINT_URL;
}
