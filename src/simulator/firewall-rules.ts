/**
 * FirewallRules_CreateOrUpdate and FirewallRules_Get on a Flexible Server. The PUT is a long-running
 * operation like the server's own (202 with Azure-AsyncOperation and Location; FirewallRulesCreateOrUpdate.json
 * shows no body), and the rule exists once it has succeeded. Rules live on their server and go with it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIPv4 } from 'node:net';
import { z } from 'zod';
import { ArmHttpError, methodNotAllowed, readBody, send } from './arm-http.js';
import { lroHeaders, type ServerTarget } from './restore-and-delete.js';
import { firewallRuleBody, serverId } from './rest-bodies.js';
import type { SimulatorState } from './simulator-state.js';

const ipv4 = z.string().refine(isIPv4, { message: 'must be an IPv4 address' });
const ruleBodySchema = z.object({ properties: z.object({ startIpAddress: ipv4, endIpAddress: ipv4 }) });
const RULE_NAME = /^[-\w]{1,128}$/;

/** PUT or GET …/flexibleServers/{server}/firewallRules/{rule}. */
export async function handleFirewallRule(state: SimulatorState, req: IncomingMessage, res: ServerResponse, target: ServerTarget, rule: string) {
  const server = target.existing;
  if (!server) {
    throw new ArmHttpError(
      404,
      'ResourceNotFound',
      `The Resource 'Microsoft.DBforPostgreSQL/flexibleServers/${target.name}' under resource group '${target.rg}' was not found.`,
    );
  }
  const subscriptionId = state.subscriptionOf(server);
  const key = rule.toLowerCase();
  if (req.method === 'GET') {
    const found = server.firewallRules?.[key];
    if (!found) throw new ArmHttpError(404, 'ResourceNotFound', `The firewall rule '${rule}' of server '${server.name}' was not found.`);
    return send(res, 200, firewallRuleBody(subscriptionId, server, found));
  }
  if (req.method !== 'PUT') throw methodNotAllowed(req.method);
  if (!RULE_NAME.test(rule)) throw new ArmHttpError(400, 'InvalidResourceName', `The firewall rule name '${rule}' is invalid.`);
  const parsed = ruleBodySchema.safeParse(await readBody(req));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ArmHttpError(400, 'InvalidRequestContent', `The request content was invalid: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim());
  }
  state.noteBody(req, parsed.data);
  if (server.network?.delegatedSubnetResourceId) {
    throw new ArmHttpError(400, 'SimulatedFirewallRuleOnVnetServer', `Server '${server.name}' is integrated into a virtual network: it has no firewall rules.`);
  }
  const { startIpAddress, endIpAddress } = parsed.data.properties;
  const op = state.tracker.start('firewall-rule', `${serverId(subscriptionId, server)}/firewallRules/${rule}`, server.location, async () => {
    await state.delay(Math.min(state.scenario.lro.durationMs, 1000));
    server.firewallRules = { ...server.firewallRules, [key]: { name: rule, startIpAddress, endIpAddress } };
  });
  return send(res, 202, undefined, lroHeaders(state, op, target.apiVersion));
}
