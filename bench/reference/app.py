"""Reference: the original stack's public API, reimplemented from the brief.

FastAPI + SQLAlchemy (ORM, sync session) + SQLite, served by uvicorn with one
worker, as the original OpenRouter Watcher (Python) ran it. Only what the
three public endpoints touch is here, written the way the brief's tasks
T36-T38 write it:

* API-token auth: SHA-256 of the bearer looked up in `api_tokens`, then
  `last_used_at` updated and committed on every call, then the user loaded;
* an in-memory per-token rate limiter (T39), with a limit high enough never
  to refuse during a benchmark;
* `/api/v1/stats`: SUM over the raw `usage_stats` rows of the user's keys;
* `/api/v1/usage`: GROUP BY (date, model) with OFFSET/LIMIT, plus a COUNT;
* `/api/v1/keys`: keys outer-joined to their usage rows, GROUP BY key;
* money: `cost` is a SQLAlchemy `Numeric` column, which SQLite stores as a
  REAL, summed as floats and returned as `Decimal(str(float))`.

Run: `python app.py load DB TSV TOKEN` builds the database from the bench's
dataset; `REF_DB=DB uvicorn app:app --workers 1` serves it.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import sys
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Dict, List, Optional, Tuple

from fastapi import Depends, FastAPI, HTTPException, Query, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
    create_engine,
    func,
)
from sqlalchemy.orm import Session, declarative_base, sessionmaker

Base = declarative_base()


class User(Base):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True, index=True)
    email = Column(String(255), unique=True, index=True, nullable=False)
    password_hash = Column(String(255), nullable=False)
    created_at = Column(DateTime, default=datetime.utcnow)
    updated_at = Column(DateTime, default=datetime.utcnow)
    is_active = Column(Boolean, default=True)


class ApiKey(Base):
    __tablename__ = "api_keys"
    id = Column(Integer, primary_key=True, index=True)
    user_id = Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    name = Column(String(100), nullable=False)
    key_encrypted = Column(String, nullable=False)
    is_active = Column(Boolean, default=True)
    created_at = Column(DateTime, default=datetime.utcnow)
    last_used_at = Column(DateTime, nullable=True)


class UsageStats(Base):
    __tablename__ = "usage_stats"
    __table_args__ = (UniqueConstraint("api_key_id", "date", "model", name="uq_usage_key_date_model"),)
    id = Column(Integer, primary_key=True, index=True)
    api_key_id = Column(Integer, ForeignKey("api_keys.id", ondelete="CASCADE"), nullable=False, index=True)
    date = Column(Date, nullable=False, index=True)
    model = Column(String(100), nullable=False, index=True)
    requests_count = Column(Integer, default=0)
    tokens_input = Column(Integer, default=0)
    tokens_output = Column(Integer, default=0)
    cost = Column(Numeric(20, 10), default=0)
    created_at = Column(DateTime, default=datetime.utcnow)


class ApiToken(Base):
    __tablename__ = "api_tokens"
    id = Column(Integer, primary_key=True, index=True)
    user_id = Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    token_hash = Column(String(255), unique=True, nullable=False, index=True)
    name = Column(String(100), nullable=False)
    created_at = Column(DateTime, default=datetime.utcnow)
    last_used_at = Column(DateTime, nullable=True)
    is_active = Column(Boolean, default=True)


engine = create_engine(
    f"sqlite:///{os.environ.get('REF_DB', 'reference.db')}",
    connect_args={"check_same_thread": False},
)
SessionLocal = sessionmaker(autocommit=False, autoflush=False, bind=engine)


def get_db():
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()


# ---- schemas (T35) ----------------------------------------------------------


class PeriodInfo(BaseModel):
    start_date: date
    end_date: date
    days: int


class PublicStatsSummary(BaseModel):
    total_requests: int
    total_cost: Decimal
    total_tokens_input: int
    total_tokens_output: int


class PublicStatsResponse(BaseModel):
    summary: PublicStatsSummary
    period: PeriodInfo


class PublicUsageItem(BaseModel):
    date: date
    model: str
    requests_count: int
    tokens_input: int
    tokens_output: int
    cost: Decimal


class PaginationInfo(BaseModel):
    page: int
    limit: int
    total: int
    pages: int


class PublicUsageResponse(BaseModel):
    items: List[PublicUsageItem]
    pagination: PaginationInfo


class PublicKeyStats(BaseModel):
    total_requests: int
    total_cost: Decimal


class PublicKeyInfo(BaseModel):
    id: int
    name: str
    is_active: bool
    stats: PublicKeyStats


class PublicKeyListResponse(BaseModel):
    items: List[PublicKeyInfo]
    total: int


# ---- auth and rate limit (T36, T39) -----------------------------------------

security = HTTPBearer(auto_error=False)


async def get_current_user_from_api_token(
    credentials: Optional[HTTPAuthorizationCredentials] = Depends(security),
    db: Session = Depends(get_db),
) -> User:
    unauthorized = HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail="Invalid or missing API token",
        headers={"WWW-Authenticate": "Bearer"},
    )
    if credentials is None or not credentials.credentials.startswith("or_api_"):
        raise unauthorized
    token_hash = hashlib.sha256(credentials.credentials.encode()).hexdigest()
    api_token = (
        db.query(ApiToken)
        .filter(ApiToken.token_hash == token_hash, ApiToken.is_active == True)  # noqa: E712
        .first()
    )
    if api_token is None:
        raise unauthorized
    api_token.last_used_at = datetime.utcnow()
    db.commit()
    user = db.query(User).filter(User.id == api_token.user_id).first()
    if user is None or not user.is_active:
        raise unauthorized
    return user


class RateLimiter:
    def __init__(self) -> None:
        self._storage: Dict[str, Tuple[int, float]] = {}

    def is_allowed(self, key: str, limit: int, window_seconds: int) -> Tuple[bool, int, int]:
        now = time.time()
        reset_time = now + window_seconds
        if key not in self._storage:
            self._storage[key] = (1, reset_time)
            return True, limit - 1, limit
        count, current_reset = self._storage[key]
        if now > current_reset:
            self._storage[key] = (1, reset_time)
            return True, limit - 1, limit
        if count >= limit:
            return False, 0, limit
        self._storage[key] = (count + 1, current_reset)
        return True, limit - count - 1, limit


rate_limiter = RateLimiter()
RATE_LIMIT_PER_HOUR = int(os.environ.get("REF_RATE_LIMIT_PER_HOUR", "100000000"))


async def rate_limit_by_token(
    request: Request,
    credentials: Optional[HTTPAuthorizationCredentials] = Depends(security),
) -> None:
    if credentials:
        key, limit, window = f"token:{credentials.credentials}", RATE_LIMIT_PER_HOUR, 3600
    else:
        key, limit, window = f"ip:{request.client.host}", 30, 60
    allowed, remaining, limit_total = rate_limiter.is_allowed(key, limit, window)
    if not allowed:
        raise HTTPException(
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
            detail="Rate limit exceeded. Try again later.",
            headers={"Retry-After": str(window)},
        )
    request.state.rate_limit_remaining = remaining
    request.state.rate_limit_limit = limit_total


# ---- services ---------------------------------------------------------------


async def get_public_stats(db: Session, user_id: int, start_date: date, end_date: date) -> PublicStatsSummary:
    row = (
        db.query(
            func.coalesce(func.sum(UsageStats.requests_count), 0).label("total_requests"),
            func.coalesce(func.sum(UsageStats.cost), 0).label("total_cost"),
            func.coalesce(func.sum(UsageStats.tokens_input), 0).label("total_tokens_input"),
            func.coalesce(func.sum(UsageStats.tokens_output), 0).label("total_tokens_output"),
        )
        .join(ApiKey, UsageStats.api_key_id == ApiKey.id)
        .filter(ApiKey.user_id == user_id, UsageStats.date >= start_date, UsageStats.date <= end_date)
        .first()
    )
    return PublicStatsSummary(
        total_requests=row.total_requests,
        total_cost=Decimal(str(row.total_cost)),
        total_tokens_input=row.total_tokens_input,
        total_tokens_output=row.total_tokens_output,
    )


async def get_public_usage(
    db: Session, user_id: int, start_date: date, end_date: date, skip: int, limit: int
) -> Tuple[List[PublicUsageItem], int]:
    query = (
        db.query(
            UsageStats.date,
            UsageStats.model,
            func.sum(UsageStats.requests_count).label("requests_count"),
            func.sum(UsageStats.tokens_input).label("tokens_input"),
            func.sum(UsageStats.tokens_output).label("tokens_output"),
            func.sum(UsageStats.cost).label("cost"),
        )
        .join(ApiKey, UsageStats.api_key_id == ApiKey.id)
        .filter(ApiKey.user_id == user_id, UsageStats.date >= start_date, UsageStats.date <= end_date)
        .group_by(UsageStats.date, UsageStats.model)
    )
    total = query.count()
    rows = query.order_by(UsageStats.date, UsageStats.model).offset(skip).limit(limit).all()
    items = [
        PublicUsageItem(
            date=r.date,
            model=r.model,
            requests_count=r.requests_count,
            tokens_input=r.tokens_input,
            tokens_output=r.tokens_output,
            cost=Decimal(str(r.cost)),
        )
        for r in rows
    ]
    return items, total


# ---- routes (T36-T38) -------------------------------------------------------

app = FastAPI(title="OpenRouter Watcher (reference)")


@app.get("/health")
async def health():
    return {"status": "healthy"}


@app.get("/api/v1/stats", response_model=PublicStatsResponse, dependencies=[Depends(rate_limit_by_token)])
async def get_public_stats_endpoint(
    start_date: Optional[date] = Query(default=None),
    end_date: Optional[date] = Query(default=None),
    current_user: User = Depends(get_current_user_from_api_token),
    db: Session = Depends(get_db),
):
    if not end_date:
        end_date = date.today()
    if not start_date:
        start_date = end_date - timedelta(days=29)
    if start_date > end_date or (end_date - start_date).days > 365:
        raise HTTPException(status_code=422, detail="Invalid date range")
    stats = await get_public_stats(db, current_user.id, start_date, end_date)
    return PublicStatsResponse(
        summary=stats,
        period=PeriodInfo(start_date=start_date, end_date=end_date, days=(end_date - start_date).days + 1),
    )


@app.get("/api/v1/usage", response_model=PublicUsageResponse, dependencies=[Depends(rate_limit_by_token)])
async def get_public_usage_endpoint(
    start_date: date,
    end_date: date,
    page: int = Query(default=1, ge=1),
    limit: int = Query(default=100, ge=1, le=1000),
    current_user: User = Depends(get_current_user_from_api_token),
    db: Session = Depends(get_db),
):
    if start_date > end_date or (end_date - start_date).days > 365:
        raise HTTPException(status_code=422, detail="Invalid date range")
    skip = (page - 1) * limit
    items, total = await get_public_usage(db, current_user.id, start_date, end_date, skip, limit)
    pages = (total + limit - 1) // limit
    return PublicUsageResponse(items=items, pagination=PaginationInfo(page=page, limit=limit, total=total, pages=pages))


@app.get("/api/v1/keys", response_model=PublicKeyListResponse, dependencies=[Depends(rate_limit_by_token)])
async def get_public_keys_endpoint(
    current_user: User = Depends(get_current_user_from_api_token),
    db: Session = Depends(get_db),
):
    results = (
        db.query(
            ApiKey.id,
            ApiKey.name,
            ApiKey.is_active,
            func.coalesce(func.sum(UsageStats.requests_count), 0).label("total_requests"),
            func.coalesce(func.sum(UsageStats.cost), 0).label("total_cost"),
        )
        .outerjoin(UsageStats)
        .filter(ApiKey.user_id == current_user.id)
        .group_by(ApiKey.id)
        .all()
    )
    items = [
        PublicKeyInfo(
            id=r.id,
            name=r.name,
            is_active=r.is_active,
            stats=PublicKeyStats(total_requests=r.total_requests, total_cost=Decimal(str(r.total_cost))),
        )
        for r in results
    ]
    return PublicKeyListResponse(items=items, total=len(items))


# ---- dataset loader ---------------------------------------------------------


def load(db_path: str, tsv_path: str, token: str) -> None:
    """Creates the schema and loads the bench's rows (the TSV that
    `cargo xtask bench` writes) for one user with 5 keys and one API token."""
    if os.path.exists(db_path):
        os.remove(db_path)
    loader = create_engine(f"sqlite:///{db_path}")
    Base.metadata.create_all(loader)
    loader.dispose()
    now = datetime.utcnow().isoformat(sep=" ")
    con = sqlite3.connect(db_path)
    con.execute(
        "INSERT INTO users (id, email, password_hash, created_at, updated_at, is_active) VALUES (1, ?, ?, ?, ?, 1)",
        ("bench@example.com", "$argon2id$v=19$m=19456,t=2,p=1$unused", now, now),
    )
    for i in range(1, 6):
        con.execute(
            "INSERT INTO api_keys (id, user_id, name, key_encrypted, is_active, created_at) VALUES (?, 1, ?, 'x', 1, ?)",
            (i, f"bench-key-{i}", now),
        )
    con.execute(
        "INSERT INTO api_tokens (user_id, token_hash, name, created_at, is_active) VALUES (1, ?, 'bench', ?, 1)",
        (hashlib.sha256(token.encode()).hexdigest(), now),
    )
    with open(tsv_path) as f:
        rows = []
        for line in f:
            key, day, model, requests, tokens_in, tokens_out, cost = line.rstrip("\n").split("\t")
            # What SQLAlchemy's Numeric binds on SQLite: a float.
            rows.append((int(key), day, model, int(requests), int(tokens_in), int(tokens_out), float(Decimal(cost)), now))
    con.executemany(
        "INSERT INTO usage_stats (api_key_id, date, model, requests_count, tokens_input, tokens_output, cost, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    con.commit()
    con.close()
    print(f"loaded {len(rows)} usage rows into {db_path}")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "load":
        load(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit("usage: python app.py load DB TSV TOKEN")
