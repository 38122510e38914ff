#!/bin/sh
echo miner
