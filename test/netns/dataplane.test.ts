/**
 * Runs the dataplane contract against the real Linux dataplane inside namespaces.
 * Needs root plus ip, nft and conntrack; otherwise it says so loudly and skips.
 */
import { runDataplaneContract } from "../contracts/dataplane.case.ts";
import { makePolicyHarness } from "./policy-harness.ts";
import { missingPrerequisite } from "./testbed.ts";

const missing = await missingPrerequisite();
if (missing) console.warn(`\n*** skipped: needs root and nft, ip, conntrack (${missing}) ***\n`);
runDataplaneContract("linux (netns)", makePolicyHarness, { skip: missing ? `needs root and nft, ip, conntrack: ${missing}` : undefined });
