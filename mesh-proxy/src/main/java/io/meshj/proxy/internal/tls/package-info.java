/** mTLS in the proxy: the workload's certificate, inbound TLS detection, and peer identities. */
package io.meshj.proxy.internal.tls;
