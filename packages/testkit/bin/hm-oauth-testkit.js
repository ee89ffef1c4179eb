#!/usr/bin/env node
// A committed entry point, so npm links the command at install time, before the first build writes dist/.
import "../dist/bin.js"
