// Command fabk8s-server, added by `fabk8s adopt`, runs this chaincode as a service: the same contracts
// as {{sourceMain}} ({{contractapi}}.NewChaincode({{argsLine}})), started by fabk8sStart (fabk8s_server.go).
package main

import (
	"log"

{{imports}}
)

func main() {
	cc, err := {{contractapi}}.NewChaincode({{args}})
	if err != nil {
		log.Fatalf("chaincode: %v", err)
	}
	if err := fabk8sStart(cc); err != nil {
		log.Fatalf("chaincode: %v", err)
	}
}
