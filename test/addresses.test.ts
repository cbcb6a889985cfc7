/** Address checks of the Linux platform (`src/platform/linux/run.ts`), which build ip/nft/ping arguments. */
import { strict as assert } from "node:assert";
import { isIPv6 } from "node:net";
import { describe, it } from "node:test";
import { checkCidr6, checkDevice, checkIPv6, isIPv6Address } from "../src/platform/linux/run.ts";

const GOOD = [
  "::", "::1", "1::", "2001:2::1", "2001:0002:0000:0000:0000:0000:0000:0001", "fe80::a:b:c:d", "1:2:3:4:5:6:7:8",
  "1:2:3:4:5:6::8", "1::3:4:5:6:7:8", "::ffff:198.18.0.1", "64:ff9b::198.51.100.7", "1:2:3:4:5:6:198.18.0.1", "ABCD:ef01::",
];
const BAD = [
  "", ":", ":::", "1:::2", "1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "12345::", "g::1", ":1::2", "1::2:",
  "198.18.0.1", "::1.2.3", "::256.1.1.1", "1:2:3:4:5:6:7:1.2.3.4", "fe80::1%eth0", "2001:2::/48", " ::1", "::1 ",
];

describe("isIPv6Address", () => {
  it("accepts the text forms of RFC 4291 and refuses the rest", () => {
    for (const a of GOOD) assert.equal(isIPv6Address(a), true, a);
    for (const a of BAD) assert.equal(isIPv6Address(a), false, a);
  });
  it("agrees with Node's parser on every case without a zone", () => {
    for (const a of [...GOOD, ...BAD].filter((x) => !x.includes("%"))) assert.equal(isIPv6Address(a), isIPv6(a), a);
  });
  it("guards the argument builders", () => {
    assert.equal(checkIPv6("2001:2::1"), "2001:2::1");
    assert.throws(() => checkIPv6("2001:2::1; reboot"), /invalid IPv6 address/);
    assert.equal(checkCidr6("2001:2::/48"), "2001:2::/48");
    assert.throws(() => checkCidr6("2001:2::/129"), /invalid IPv6 prefix/);
    assert.throws(() => checkDevice(".."), /invalid device name/);
  });
});
