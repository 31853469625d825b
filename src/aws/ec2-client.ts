import { EC2Client } from '@aws-sdk/client-ec2';
import { CannotRunError } from '../errors.js';
import type { TargetContext } from '../contract/target.js';
import { effectiveEc2Endpoint, effectiveEndpoint } from '../config/aws-endpoints.js';
import { isLoopback } from '../config/loopback.js';
import { awsSettings, refuseNonAwsAnswers, sdkOptions, type AwsHandle, type AwsService } from './client.js';

// The EC2 client for one environment, with the ELBv2 client's conventions: the SDK's default
// credential chain (dummy credentials only for a loopback endpoint), an endpoint override,
// standard retries, the run's deadline, and every call through the Describe*-only gate.

const EC2_SERVICE: AwsService = { label: 'EC2', iam: 'ec2' };

export interface Ec2 extends AwsHandle {
  client: EC2Client;
}

export function ec2(ctx: TargetContext): Ec2 {
  const settings = awsSettings(ctx);
  const { aws, key } = settings;
  const endpoint = effectiveEc2Endpoint(aws);
  // A local ELBv2 endpoint (the lab, a tunnel) with EC2 left to AWS's public endpoint is a
  // mix that never describes one environment, and it would send traffic off the machine.
  if (isLoopback(effectiveEndpoint(aws)) && !isLoopback(endpoint)) {
    throw new CannotRunError(
      `${key}.ec2Endpoint: not set, while the ELBv2 endpoint (${key}.endpoint) is local; set it to the local EC2 endpoint too`,
    );
  }
  const client = new EC2Client(sdkOptions(aws, aws.ec2Endpoint, endpoint));
  refuseNonAwsAnswers(client);
  // EC2 only ever reads: the drill's two calls are ELBv2's.
  return { client, ...settings, service: EC2_SERVICE, disruptive: false };
}
