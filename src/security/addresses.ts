/**
 * Client addresses as the per-address limits and the audit log's per-minute
 * counts see them.
 */
import { isIPv4, isIPv6 } from 'node:net';

/**
 * What per-address limits and counts go by: an IPv4 address as it is, an IPv6
 * address by its /64 network, since one subscriber is routinely given a whole
 * /64 and could otherwise rotate through 2^64 addresses. IPv4-mapped IPv6
 * (::ffff:a.b.c.d) counts as its IPv4 address.
 */
export function addressBucket(ip: string): string {
  const address = ip.split('%', 1)[0]!.toLowerCase();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(address);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!;
  if (!isIPv6(address)) return address;
  const [head = '', tail] = address.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  // An embedded IPv4 tail (::a.b.c.d) lies past the first 64 bits, so counting it as one group is enough here.
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
