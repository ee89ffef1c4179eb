/**
 * A child-process oauth2-mock-server: the popular mock authorization server, which signs a fresh RS256 JWT for
 * every token it issues. Listens on 127.0.0.1, port 0, with one generated RS256 key.
 */
import { OAuth2Server } from "oauth2-mock-server"
import { announcePort } from "./child-server.js"

const server = new OAuth2Server()
await server.issuer.keys.generate("RS256")
await server.start(0, "127.0.0.1")
announcePort(server.address().port)
