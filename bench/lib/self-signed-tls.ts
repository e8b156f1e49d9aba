/**
 * A self-signed certificate for hooks.example.test and localhost (EC P-256, valid 2000-2100), for loopback
 * TLS stand-ins: a webhook receiver the platform must not trust (tests), the Application Insights
 * ingestion endpoint in the telemetry benchmark. The key protects nothing.
 * Made with: openssl ca -selfsign -startdate 20000101000000Z -enddate 21000101000000Z (SAN as above).
 */
export const SELF_SIGNED_KEY = `
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgdH6jFGl18ZR6czxs
vsbgFrCWfKZo1Iil8fjRKUSM2L+hRANCAAS4mIWrna+TTGCGcrCwdSUTxjBUihux
PKac2gJR+TDlLcAI83xE/OJBBKNkx3B+Zm+m4mve6N6e5chC0nq87UnS
-----END PRIVATE KEY-----
`;

export const SELF_SIGNED_CERT = `
-----BEGIN CERTIFICATE-----
MIIBhDCCASqgAwIBAgIBATAKBggqhkjOPQQDAjAdMRswGQYDVQQDDBJob29rcy5l
eGFtcGxlLnRlc3QwIBcNMDAwMTAxMDAwMDAwWhgPMjEwMDAxMDEwMDAwMDBaMB0x
GzAZBgNVBAMMEmhvb2tzLmV4YW1wbGUudGVzdDBZMBMGByqGSM49AgEGCCqGSM49
AwEHA0IABLiYhaudr5NMYIZysLB1JRPGMFSKG7E8ppzaAlH5MOUtwAjzfET84kEE
o2THcH5mb6bia97o3p7lyELSerztSdKjWTBXMCgGA1UdEQQhMB+CEmhvb2tzLmV4
YW1wbGUudGVzdIIJbG9jYWxob3N0MAwGA1UdEwEB/wQCMAAwHQYDVR0OBBYEFPEp
pweQBPrppISarDb8XHqcee2hMAoGCCqGSM49BAMCA0gAMEUCIQCczh83K6z+dsTd
6FZg5LujgYr7j5Q9NxHczkFVcR60WgIgAXssOxL1AS0ERzhBtd7XhCaqtYMEmKQS
FM6LyDYMdW8=
-----END CERTIFICATE-----
`;
