"""The transport-security policy a mail domain publishes: DANE, MTA-STS, TLS-RPT.

Separate from the SMTP probe: these modules look at DNS and HTTPS, and judge what the probe
saw on the wire against what the domain says it should see.  Each check is a small module:

* :mod:`.dnsquery`: the resolver (``--nameserver``), lookups with their DNSSEC status;
* :mod:`.dane`: TLSA records (RFC 7672, 6698, 7671) matched against the presented chain;
* :mod:`.mtasts`: the MTA-STS TXT record and policy (RFC 8461), MX and certificate matching;
* :mod:`.tlsrpt`: the TLS-RPT record (RFC 8460);
* :mod:`.assess`: all of it for a run of probe reports, as findings.
"""
