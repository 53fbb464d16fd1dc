"""RENKEI_DNS_NAMESERVERS: the resolver that checks organizations' domain challenges."""

from __future__ import annotations

import pytest

from renkei.config import ConfigError, Settings
from renkei.email_domains.dns_challenge import DnsChallenge, Nameserver


def test_name_servers_with_and_without_ports_are_read() -> None:
    # when
    settings = Settings.from_env({"RENKEI_DNS_NAMESERVERS": "10.0.0.2, 127.0.0.1:5353,[::1]:53"})
    # then
    assert DnsChallenge.from_setting(settings.dns_nameservers).nameservers == (
        Nameserver("10.0.0.2", 53),
        Nameserver("127.0.0.1", 5353),
        Nameserver("::1", 53),
    )


def test_without_the_setting_the_system_resolver_answers() -> None:
    assert DnsChallenge.from_setting(Settings.from_env({}).dns_nameservers).nameservers == ()


@pytest.mark.parametrize("value", ["dns.example", "127.0.0.1:99999", "10.0.0.2:port"])
def test_a_malformed_setting_stops_the_start_with_its_name(value: str) -> None:
    with pytest.raises(ConfigError, match="RENKEI_DNS_NAMESERVERS"):
        Settings.from_env({"RENKEI_DNS_NAMESERVERS": value})
