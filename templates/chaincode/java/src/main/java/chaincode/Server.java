package chaincode;

import java.net.InetSocketAddress;
import org.hyperledger.fabric.contract.ContractRouter;
import org.hyperledger.fabric.shim.ChaincodeServer;
import org.hyperledger.fabric.shim.ChaincodeServerProperties;
import org.hyperledger.fabric.shim.NettyChaincodeServer;

/**
 * Starts the chaincode as a service: the peer dials us (see connection.json in the package).
 *
 * <p>One image works whatever names the manifests use:
 *
 * <pre>
 *   address: CHAINCODE_SERVER_ADDRESS | CORE_CHAINCODE_ADDRESS        (e.g. 0.0.0.0:{{port}})
 *   id:      CHAINCODE_ID | CORE_CHAINCODE_ID | CORE_CHAINCODE_ID_NAME (the package ID, label:hash)
 *   TLS:     CORE_CHAINCODE_TLS_KEY_FILE | CHAINCODE_TLS_KEY | CORE_TLS_CLIENT_KEY_FILE,
 *            CORE_CHAINCODE_TLS_CERT_FILE | CHAINCODE_TLS_CERT | CORE_TLS_CLIENT_CERT_FILE,
 *            CORE_CHAINCODE_TLS_CLIENT_CACERT_FILE | CHAINCODE_CLIENT_CA_CERT (then the peer must present a
 *            client certificate); CHAINCODE_TLS_DISABLED=true turns TLS off
 * </pre>
 *
 * <p>fabric-chaincode-java's own entry point (org.hyperledger.fabric.contract.ContractRouter) reads only
 * CHAINCODE_SERVER_ADDRESS, CORE_CHAINCODE_ID_NAME and CORE_TLS_CLIENT_{KEY,CERT}_FILE, and never asks the
 * peer for a client certificate; this class reads the aliases and configures the same server itself.
 */
public final class Server {

    private Server() {}

    private static String env(final String... names) {
        for (final String name : names) {
            final String v = System.getenv(name);
            if (v != null && !v.isEmpty()) {
                return v;
            }
        }
        return null;
    }

    /** host:port, [v6]:port or :port. */
    static InetSocketAddress parseAddress(final String address) {
        final int colon = address.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("chaincode server address \"" + address + "\" is not host:port");
        }
        String host = address.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        final int port;
        try {
            port = Integer.parseInt(address.substring(colon + 1));
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException("chaincode server address \"" + address + "\" has no port number", e);
        }
        return host.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
    }

    public static void main(final String[] args) throws Exception {
        final String address = env("CHAINCODE_SERVER_ADDRESS", "CORE_CHAINCODE_ADDRESS");
        final String id = env("CHAINCODE_ID", "CORE_CHAINCODE_ID", "CORE_CHAINCODE_ID_NAME");
        if (address == null || id == null) {
            System.err.println("chaincode server: CHAINCODE_SERVER_ADDRESS (or CORE_CHAINCODE_ADDRESS) and "
                    + "CHAINCODE_ID (or CORE_CHAINCODE_ID_NAME) must be set");
            System.exit(2);
        }

        final ChaincodeServerProperties props = new ChaincodeServerProperties();
        props.setServerAddress(parseAddress(address));
        final boolean tlsOff = "true".equalsIgnoreCase(System.getenv("CHAINCODE_TLS_DISABLED"));
        final String key = env("CORE_CHAINCODE_TLS_KEY_FILE", "CHAINCODE_TLS_KEY", "CORE_TLS_CLIENT_KEY_FILE");
        final String cert = env("CORE_CHAINCODE_TLS_CERT_FILE", "CHAINCODE_TLS_CERT", "CORE_TLS_CLIENT_CERT_FILE");
        final String clientCa = env("CORE_CHAINCODE_TLS_CLIENT_CACERT_FILE", "CHAINCODE_CLIENT_CA_CERT");
        final boolean tls = !tlsOff && key != null && cert != null;
        if (tls) {
            props.setTlsEnabled(true);
            props.setKeyFile(key);
            props.setKeyCertChainFile(cert);
            if (clientCa != null) {
                props.setTrustCertCollectionFile(clientCa);
            }
        }

        // the router finds every @Contract on the classpath; --id sets the package ID the peer expects
        final ContractRouter router = new ContractRouter(new String[] {"--id", id});
        final ChaincodeServer server = new NettyChaincodeServer(router, props);

        // Stop promptly with exit code 0 on SIGTERM (pod deletion) and SIGINT; the peer reconnects to the next pod.
        for (final String name : new String[] {"TERM", "INT"}) {
            sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> {
                server.stop();
                System.exit(0);
            });
        }

        System.out.println("chaincode server: starting " + id + " on " + address + (tls ? " (TLS)" : ""));
        router.startRouterWithChaincodeServer(server);
    }
}
