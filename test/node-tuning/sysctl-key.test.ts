import { PodSysctls, SysctlKey, SysctlScope } from '../../src';

describe('SysctlKey', () => {
  test.each([
    // the strategy's six
    ['fs.file-max', SysctlScope.NODE],
    ['net.netfilter.nf_conntrack_max', SysctlScope.NODE],
    ['net.core.somaxconn', SysctlScope.NETWORK_NAMESPACE],
    ['net.ipv4.tcp_max_syn_backlog', SysctlScope.NETWORK_NAMESPACE],
    ['net.ipv4.tcp_tw_reuse', SysctlScope.NETWORK_NAMESPACE],
    ['net.ipv4.ip_local_port_range', SysctlScope.NETWORK_NAMESPACE],
    // the rest of net.core is global; a few net.ipv4 keys are too
    ['net.core.netdev_max_backlog', SysctlScope.NODE],
    ['net.ipv4.tcp_mem', SysctlScope.NODE],
    ['net.ipv6.conf.all.disable_ipv6', SysctlScope.NETWORK_NAMESPACE],
    ['net.unix.max_dgram_qlen', SysctlScope.NETWORK_NAMESPACE],
    ['net.bridge.bridge-nf-call-iptables', SysctlScope.NODE],
    // IPC namespace: kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*
    ['kernel.shm_rmid_forced', SysctlScope.IPC_NAMESPACE],
    ['kernel.msgmax', SysctlScope.IPC_NAMESPACE],
    ['kernel.sem', SysctlScope.IPC_NAMESPACE],
    ['fs.mqueue.msg_max', SysctlScope.IPC_NAMESPACE],
    ['kernel.pid_max', SysctlScope.NODE],
    ['vm.max_map_count', SysctlScope.NODE],
  ])('%s lives in scope %s', (key, scope) => {
    expect(SysctlKey.of(key).scope).toBe(scope);
    expect(SysctlKey.of(key).podSettable).toBe(scope !== SysctlScope.NODE);
  });

  test('Kubernetes-safe keys, by the version that made them safe', () => {
    const safeSince = (key: string) => SysctlKey.of(key).safeSince;
    expect(safeSince('net.ipv4.ip_local_port_range')).toBe('1.4');
    expect(safeSince('kernel.shm_rmid_forced')).toBe('1.4');
    expect(safeSince('net.ipv4.tcp_syncookies')).toBe('1.4');
    expect(safeSince('net.ipv4.ping_group_range')).toBe('1.18');
    expect(safeSince('net.ipv4.ip_unprivileged_port_start')).toBe('1.22');
    expect(safeSince('net.ipv4.ip_local_reserved_ports')).toBe('1.27');
    expect(safeSince('net.ipv4.tcp_keepalive_time')).toBe('1.29');
    expect(safeSince('net.ipv4.tcp_fin_timeout')).toBe('1.29');
    expect(safeSince('net.ipv4.tcp_rmem')).toBe('1.32');
    // the strategy's three unsafe ones
    expect(safeSince('net.core.somaxconn')).toBeUndefined();
    expect(safeSince('net.ipv4.tcp_max_syn_backlog')).toBeUndefined();
    expect(safeSince('net.ipv4.tcp_tw_reuse')).toBeUndefined();
  });

  test('limits: a higher value than asked for does no harm', () => {
    for (const key of ['fs.file-max', 'net.netfilter.nf_conntrack_max', 'net.core.somaxconn', 'net.ipv4.tcp_max_syn_backlog']) {
      expect(SysctlKey.of(key).isLimit).toBe(true);
    }
    for (const key of ['net.ipv4.tcp_tw_reuse', 'net.ipv4.ip_local_port_range', 'vm.swappiness', 'net.ipv4.tcp_congestion_control']) {
      expect(SysctlKey.of(key).isLimit).toBe(false);
    }
  });

  test('safety depends on the oldest kubelet', () => {
    const keepalive = SysctlKey.of('net.ipv4.tcp_keepalive_time');
    expect(keepalive.isSafeOn(27)).toBe(false);
    expect(keepalive.isSafeOn(29)).toBe(true);
    expect(SysctlKey.of('net.ipv4.tcp_wmem').isSafeOn(31)).toBe(false);
    expect(SysctlKey.of('net.ipv4.tcp_wmem').isSafeOn(32)).toBe(true);
    expect(SysctlKey.of('net.ipv4.ip_local_port_range').isSafeOn(27)).toBe(true);
    expect(SysctlKey.of('net.core.somaxconn').isSafeOn(36)).toBe(false);
  });

  test('rejects a malformed key', () => {
    expect(() => SysctlKey.of('Net.Core.Somaxconn')).toThrow(
      'invalid sysctl key "Net.Core.Somaxconn": must be a sysctl name: lowercase dot-separated segments');
    expect(() => SysctlKey.of('somaxconn')).toThrow('invalid sysctl key "somaxconn": must be a sysctl name');
    expect(() => SysctlKey.of('net..core')).toThrow('must be a sysctl name');
    expect(() => SysctlKey.of('net/core/somaxconn')).toThrow('must be a sysctl name');
  });

  test('rejects an unknown key', () => {
    expect(() => SysctlKey.of('network.core.somaxconn')).toThrow(
      'invalid sysctl key "network.core.somaxconn": unknown sysctl: it must start with one of abi, crypto, debug, dev, fs, kernel, net, sunrpc, user, vm');
  });
});

describe('sysctl values', () => {
  // checked the same way by TunedNodePool and PodSysctls; PodSysctls has no construct path
  const check = (key: string, value: string) => () => PodSysctls.of({ [key]: value });

  test.each([
    ['net.core.somaxconn', '65535'],
    ['net.ipv4.tcp_tw_reuse', '2'],
    ['net.ipv4.ip_local_port_range', '1024 65535'],
    ['net.ipv4.ping_group_range', '1 0'],
    ['net.ipv4.ip_local_reserved_ports', '8080,9148-9150'],
    ['net.ipv4.tcp_rmem', '4096 131072 6291456'],
    ['net.ipv4.tcp_congestion_control', 'bbr'],
  ])('%s accepts %j', (key, value) => {
    expect(PodSysctls.of({ [key]: value }).sysctls).toEqual([{ name: key, value }]);
  });

  test('integers where integers are expected', () => {
    expect(check('net.core.somaxconn', 'lots')).toThrow(
      'invalid sysctls["net.core.somaxconn"] "lots": must be an integer from 0 to 2147483647');
    expect(check('net.core.somaxconn', '2147483648')).toThrow('must be an integer from 0 to 2147483647');
    expect(check('net.ipv4.tcp_max_syn_backlog', '1.5')).toThrow('must be an integer');
  });

  test('tcp_tw_reuse is 0, 1 or 2', () => {
    expect(check('net.ipv4.tcp_tw_reuse', '3')).toThrow(
      'invalid sysctls["net.ipv4.tcp_tw_reuse"] "3": must be an integer from 0 to 2');
  });

  test('the local port range is two ports, low < high, within 1-65535', () => {
    const rule = 'must be two ports from 1 to 65535, low then high, with low < high (e.g. "32768 60999")';
    expect(check('net.ipv4.ip_local_port_range', '60999 32768')).toThrow(
      `invalid sysctls["net.ipv4.ip_local_port_range"] "60999 32768": ${rule}`);
    expect(check('net.ipv4.ip_local_port_range', '32768 32768')).toThrow(rule);
    expect(check('net.ipv4.ip_local_port_range', '0 60999')).toThrow(rule);
    expect(check('net.ipv4.ip_local_port_range', '32768 65536')).toThrow(rule);
    expect(check('net.ipv4.ip_local_port_range', '32768')).toThrow(rule);
    expect(check('net.ipv4.ip_local_port_range', '1 2 3')).toThrow(rule);
  });

  test('triples are ordered', () => {
    expect(check('net.ipv4.tcp_wmem', '4096 16384')).toThrow(
      'must be 3 integers from 1 to 2147483647 separated by spaces, each at least the one before');
    expect(check('net.ipv4.tcp_wmem', '65536 16384 4194304')).toThrow('each at least the one before');
  });

  test('reserved ports are ports and ranges', () => {
    expect(check('net.ipv4.ip_local_reserved_ports', '8080,9150-9148')).toThrow(
      'must be ports from 1 to 65535 and low-high ranges separated by commas (e.g. "8080,9148-9150")');
  });

  test('any value is printable words separated by single spaces', () => {
    const rule = 'must be printable ASCII words separated by single spaces, with no leading or trailing space';
    expect(check('net.ipv4.tcp_congestion_control', ' bbr')).toThrow(rule);
    expect(check('net.ipv4.tcp_congestion_control', 'bbr\nnet.core.somaxconn=1')).toThrow(rule);
    expect(check('net.ipv4.tcp_congestion_control', '')).toThrow(rule);
    expect(check('net.ipv4.ip_local_port_range', '32768  60999')).toThrow(rule);
  });
});
