// Command {{name}} runs the chaincode as a service: the peer dials it (see connection.json in the package).
//
// One image works whatever names the manifests use:
//
//	address: CHAINCODE_SERVER_ADDRESS | CORE_CHAINCODE_ADDRESS        (e.g. 0.0.0.0:{{port}})
//	id:      CHAINCODE_ID | CORE_CHAINCODE_ID | CORE_CHAINCODE_ID_NAME (the package ID, label:hash)
//	TLS:     CHAINCODE_TLS_KEY | CORE_CHAINCODE_TLS_KEY_FILE, CHAINCODE_TLS_CERT | CORE_CHAINCODE_TLS_CERT_FILE,
//	         CHAINCODE_CLIENT_CA_CERT | CORE_CHAINCODE_TLS_CLIENT_CACERT_FILE; CHAINCODE_TLS_DISABLED=true turns TLS off
package main

import (
	"fmt"
	"log"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"{{name}}/chaincode"
)

func env(names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return ""
}

func tlsProps() (shim.TLSProperties, error) {
	keyFile := env("CHAINCODE_TLS_KEY", "CORE_CHAINCODE_TLS_KEY_FILE")
	certFile := env("CHAINCODE_TLS_CERT", "CORE_CHAINCODE_TLS_CERT_FILE")
	if strings.EqualFold(os.Getenv("CHAINCODE_TLS_DISABLED"), "true") || keyFile == "" || certFile == "" {
		return shim.TLSProperties{Disabled: true}, nil
	}
	key, err := os.ReadFile(keyFile)
	if err != nil {
		return shim.TLSProperties{}, fmt.Errorf("TLS key: %w", err)
	}
	cert, err := os.ReadFile(certFile)
	if err != nil {
		return shim.TLSProperties{}, fmt.Errorf("TLS cert: %w", err)
	}
	props := shim.TLSProperties{Key: key, Cert: cert}
	if caFile := env("CHAINCODE_CLIENT_CA_CERT", "CORE_CHAINCODE_TLS_CLIENT_CACERT_FILE"); caFile != "" {
		if props.ClientCACerts, err = os.ReadFile(caFile); err != nil {
			return shim.TLSProperties{}, fmt.Errorf("TLS client CA: %w", err)
		}
	}
	return props, nil
}

func main() {
	address := env("CHAINCODE_SERVER_ADDRESS", "CORE_CHAINCODE_ADDRESS")
	id := env("CHAINCODE_ID", "CORE_CHAINCODE_ID", "CORE_CHAINCODE_ID_NAME")
	if address == "" || id == "" {
		fmt.Fprintln(os.Stderr, "chaincode server: CHAINCODE_SERVER_ADDRESS (or CORE_CHAINCODE_ADDRESS) and CHAINCODE_ID (or CORE_CHAINCODE_ID_NAME) must be set")
		os.Exit(2)
	}
	cc, err := contractapi.NewChaincode(&chaincode.AssetContract{})
	if err != nil {
		log.Fatalf("chaincode: %v", err)
	}
	tls, err := tlsProps()
	if err != nil {
		log.Fatalf("chaincode server: %v", err)
	}
	server := &shim.ChaincodeServer{CCID: id, Address: address, CC: cc, TLSProps: tls}

	// stop promptly on SIGTERM (pod deletion) and SIGINT
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sigs
		os.Exit(0)
	}()

	log.Printf("chaincode server: starting %s on %s (tls %v)", id, address, !tls.Disabled)
	if err := server.Start(); err != nil {
		log.Fatalf("chaincode server: %v", err)
	}
}
