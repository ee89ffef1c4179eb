/**
 * A child-process server that reads each request to its end and answers 200 with the JSON body given as its first
 * argument: a server that costs next to nothing, so a benchmark measures its clients.
 */
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { announcePort } from "./child-server.js"

const body = Buffer.from(process.argv[2] ?? "{}")
const headers = {
  "content-type": "application/json",
  "content-length": body.length,
  "cache-control": "no-store",
  pragma: "no-cache"
}

const server = createServer((request, response) => {
  request.resume()
  request.on("end", () => response.writeHead(200, headers).end(body))
})
// Well above a round's length: connections stay open across rounds, so no contender pays for reconnecting.
server.keepAliveTimeout = 60_000
server.listen(0, "127.0.0.1", () => announcePort((server.address() as AddressInfo).port))
